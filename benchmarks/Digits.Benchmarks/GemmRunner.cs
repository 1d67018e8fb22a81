using Digits.Core.Backends;
using Digits.Cpu;

namespace Digits.Benchmarks;

/// <summary>Holds the tensors of one <see cref="DenseGemm"/> on a backend and runs its op.</summary>
public sealed class GemmRunner : IDisposable
{
    private readonly DeviceBuffer<float> _a, _b, _bias, _c;

    public GemmRunner(IBackend backend, DenseGemm shape, int seed = 1)
    {
        Backend = backend;
        Shape = shape;
        var random = new Random(seed);
        float[] Uniform(int n) => Enumerable.Range(0, n).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        var (first, second, result) = shape.OperandLengths;
        _a = Put(Uniform(first));
        _b = Put(Uniform(second));
        _bias = Put(Uniform(shape.Outputs));
        _c = backend.Allocate<float>(result);
    }

    public IBackend Backend { get; }

    public DenseGemm Shape { get; }

    /// <summary>Runs the op once (ReLU for the forward, so the fused epilogue is included).</summary>
    public void Run() => Shape.Run(Backend, _a, _b, _bias, Activation.Relu, _c);

    /// <summary>The output of the last <see cref="Run"/>.</summary>
    public float[] Output()
    {
        var host = new float[_c.Length];
        Backend.Download(_c.View(), host);
        return host;
    }

    /// <summary>Runs the op on this backend and on the reference at a small shape with the same op and checks
    /// every element (|a − e| ≤ 1e-6 + 2.4e-7·K + 1e-5·|e|); throws when they differ.</summary>
    public static void CheckAgainstReference(IBackend backend, GemmOp op)
    {
        var shape = new DenseGemm("check", op, 37, 101, 45);
        using var fast = new GemmRunner(backend, shape, 7);
        using var referenceBackend = new ReferenceBackend();
        using var reference = new GemmRunner(referenceBackend, shape, 7);
        fast.Run();
        reference.Run();
        float[] e = reference.Output(), a = fast.Output();
        int terms = shape.K;
        for (int k = 0; k < e.Length; k++)
            if (!(Math.Abs(a[k] - e[k]) <= 1e-6 + 2.4e-7 * terms + 1e-5 * Math.Abs(e[k])))
                throw new InvalidOperationException(
                    $"{backend.Name} {op} differs from the reference at [{k}]: {a[k]} vs {e[k]}");
    }

    private DeviceBuffer<float> Put(float[] data)
    {
        var buffer = Backend.Allocate<float>(data.Length);
        Backend.Upload<float>(data, buffer.View());
        return buffer;
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        _bias.Dispose();
        _c.Dispose();
    }
}
