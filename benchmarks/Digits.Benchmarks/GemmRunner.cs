using Digits.Core.Backends;
using Digits.Cpu;

namespace Digits.Benchmarks;

/// <summary>Holds the tensors of one <see cref="GemmShape"/> on a backend and runs its op.</summary>
public sealed class GemmRunner : IDisposable
{
    private readonly DeviceBuffer<float> _a, _b, _bias, _c;

    public GemmRunner(IBackend backend, GemmShape shape, int seed = 1)
    {
        Backend = backend;
        Shape = shape;
        var random = new Random(seed);
        float[] Uniform(int n) => Enumerable.Range(0, n).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        int b = shape.Batch, i = shape.Inputs, o = shape.Outputs;
        (int aLen, int bLen, int cLen) = shape.Op switch
        {
            GemmOp.Forward => (b * i, o * i, b * o),         // x, W, y
            GemmOp.BackwardInput => (b * o, o * i, b * i),   // dz, W, dx
            _ => (b * i, b * o, o * i),                      // x, dz, dW
        };
        _a = Put(Uniform(aLen));
        _b = Put(Uniform(bLen));
        _bias = Put(Uniform(o));
        _c = backend.Allocate<float>(cLen);
    }

    public IBackend Backend { get; }

    public GemmShape Shape { get; }

    /// <summary>Runs the op once (ReLU for the forward, so the fused epilogue is included).</summary>
    public void Run()
    {
        var (b, i, o) = (Shape.Batch, Shape.Inputs, Shape.Outputs);
        switch (Shape.Op)
        {
            case GemmOp.Forward: Backend.LinearForward(_a, _b, _bias, Activation.Relu, b, i, o, _c); break;
            case GemmOp.BackwardInput: Backend.LinearBackwardInput(_a, _b, b, i, o, _c); break;
            default: Backend.LinearBackwardWeight(_a, _b, b, i, o, _c); break;
        }
    }

    /// <summary>The output of the last <see cref="Run"/>.</summary>
    public float[] Output()
    {
        var host = new float[_c.Length];
        Backend.Download(_c.View(), host);
        return host;
    }

    /// <summary>Runs the op on this backend and on the reference at a small shape with the same op and checks
    /// every element (|a − e| ≤ 1e-5 + 1e-5·|e| per term); throws when they differ.</summary>
    public static void CheckAgainstReference(IBackend backend, GemmOp op) =>
        CheckAgainstReference(backend, op, new GemmShape("check", op, 37, 101, 45));

    /// <summary>As <see cref="CheckAgainstReference(IBackend, GemmOp)"/> at <paramref name="shape"/>.</summary>
    public static void CheckAgainstReference(IBackend backend, GemmOp op, GemmShape shape)
    {
        using var fast = new GemmRunner(backend, shape, 7);
        using var referenceBackend = new ReferenceBackend();
        using var reference = new GemmRunner(referenceBackend, shape, 7);
        fast.Run();
        reference.Run();
        float[] e = reference.Output(), a = fast.Output();
        int terms = shape.Mnk.K;
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
