using Digits.Core.Backends;
using Digits.Cpu;
using Digits.Tests.Support;
using Xunit;
using static Digits.Tests.Support.Close;
using Op = Digits.Tests.Kernels.CpuGemmTests.Op;

namespace Digits.Tests.Kernels;

/// <summary>
/// CpuBackend's determinism contract (see the top of CpuBackend.cs): the same call twice gives the same bits,
/// and the GEMMs give the same bits on one thread and on two, because work is split by output ranges and no
/// reduction is ever split. Activations applied by TensorPrimitives over differently split rows are only
/// promised to agree within rounding.
/// </summary>
public sealed class CpuDeterminismTests
{
    // Big enough that every GEMM is split between two threads.
    private const int Batch = 256, Inputs = 784, Outputs = 300;

    public static TheoryData<Op> Ops => new() { Op.Forward, Op.BackwardInput, Op.BackwardWeight };

    [Theory]
    [MemberData(nameof(Ops))]
    public void Same_call_twice_is_bit_identical(Op op)
    {
        using var backend = new CpuBackend(2);
        float[] first = CpuGemmTests.RunOp(backend, op, Batch, Inputs, Outputs, 11);
        float[] second = CpuGemmTests.RunOp(backend, op, Batch, Inputs, Outputs, 11);
        AssertClose(first, second, Tolerance.Exact, $"{op}, second call");
        Assert.True(backend.Pool.Dispatches > 0, "the op should have been split between threads");
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void One_thread_and_two_threads_agree(Op op)
    {
        using var one = new CpuBackend(1);
        using var two = new CpuBackend(2);
        float[] a = CpuGemmTests.RunOp(one, op, Batch, Inputs, Outputs, 12);
        float[] b = CpuGemmTests.RunOp(two, op, Batch, Inputs, Outputs, 12);
        AssertClose(a, b, Tolerance.Exact, $"{op}, 1 vs 2 threads (relu: bit-identical)");
        if (op == Op.Forward)
        {
            a = CpuGemmTests.RunOp(one, op, Batch, Inputs, Outputs, 13, Activation.Sigmoid);
            b = CpuGemmTests.RunOp(two, op, Batch, Inputs, Outputs, 13, Activation.Sigmoid);
            AssertClose(a, b, Tolerance.Elementwise, "sigmoid forward, 1 vs 2 threads");
        }
    }

    [Fact]
    public void Optimizer_loss_and_bias_gradient_repeat_exactly()
    {
        using var backend = new CpuBackend(2);
        const int count = 200_000, batch = 128, classes = 10;
        var random = new Random(3);
        float[] p0 = TestData.Uniform(random, count), g = TestData.Uniform(random, count);
        float[] logits = TestData.Uniform(random, batch * classes, -5, 5);
        int[] labels = TestData.Labels(random, batch, classes);
        float[][] Once()
        {
            using var r = new Rig(backend);
            var p = r.Put(p0);
            var m = r.Put(new float[count]);
            var v = r.Put(new float[count]);
            backend.AdamStep(r.Put(g), count, count / 2, new AdamParameters(0.9f, 0.999f, 1e-8f, 0.01f), 1, 1e-3f,
                m, v, p);
            var d = r.Put(new float[batch * classes]);
            var loss = r.Put([0f]);
            backend.SoftmaxCrossEntropy(r.Put(logits), r.Put(labels), batch, classes, 1f / batch, d, loss);
            var db = r.Put(new float[classes]);
            backend.BiasBackward(d, batch, classes, db);
            return [r.Take(p), r.Take(m), r.Take(v), r.Take(d), r.Take(loss), r.Take(db)];
        }
        float[][] first = Once(), second = Once();
        for (int t = 0; t < first.Length; t++) AssertClose(first[t], second[t], Tolerance.Exact, $"output {t}");
    }
}
