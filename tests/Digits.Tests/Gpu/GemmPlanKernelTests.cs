using Digits.Core.Backends;
using Digits.Cpu;
using Digits.Gpu;
using Digits.Gpu.Kernels;
using Digits.Tests.Support;
using Xunit;
using static Digits.Tests.Support.Close;

namespace Digits.Tests.Gpu;

/// <summary>
/// Every GEMM plan — each tile kernel with K whole or split into 2 and 5 chunks — forced on the ILGPU backend and run
/// against the reference at awkward sizes (0, 1, 7, 31, 257, 784: no multiple of either tile or of a 16-deep stage),
/// for the three GEMMs: the forward's bias and activation after the fixed-order split-K sum included. Written once and
/// run per accelerator (ilgpu-cpu in every CI run, which plans no split on its own).
/// </summary>
public abstract class GemmPlanKernelTests
{
    /// <summary>The device under test, as <c>--device</c> spells it.</summary>
    protected abstract string Device { get; }

    protected IlgpuBackend Backend => (IlgpuBackend)TestBackends.Get(Device);

    /// <summary>(tile, splits, B, I, O): forward (B,O,I), weight gradient (O,I,B), input gradient (B,I,O) as M×N×K.</summary>
    public static TheoryData<GemmTileKind, int, int, int, int> Plans
    {
        get
        {
            var data = new TheoryData<GemmTileKind, int, int, int, int>();
            foreach (var tile in Enum.GetValues<GemmTileKind>())
            foreach (int splits in new[] { 1, 2, 5 })
            foreach (var (b, i, o) in new[] { (0, 5, 3), (1, 1, 1), (7, 257, 31), (31, 784, 7), (257, 31, 7) })
                data.Add(tile, splits, b, i, o);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Plans))]
    public void A_forced_plan_matches_the_reference(GemmTileKind tile, int splits, int batch, int inputs, int outputs)
    {
        var random = new Random(batch * 1000 + inputs * 10 + outputs + splits);
        float[] x = TestData.Uniform(random, batch * inputs), w = TestData.Uniform(random, outputs * inputs),
            b = TestData.Uniform(random, outputs), dz = TestData.Uniform(random, batch * outputs);
        float[][] Go(IBackend be)
        {
            using var r = new Rig(be);
            var y = r.Put(new float[batch * outputs], "y");
            var dx = r.Put(new float[batch * inputs], "dx");
            var dw = r.Put(new float[outputs * inputs], "dW");
            be.LinearForward(r.Put(x), r.Put(w), r.Put(b), Activation.Relu, batch, inputs, outputs, y);
            be.LinearBackwardInput(r.Put(dz), r.Put(w), batch, inputs, outputs, dx);
            be.LinearBackwardWeight(r.Put(x), r.Put(dz), batch, inputs, outputs, dw);
            r.AssertNoStrayWrites();
            return [r.Take(y), r.Take(dx), r.Take(dw)];
        }
        var expected = Go(new ReferenceBackend());
        var actual = Forced(tile, splits, () => Go(Backend));
        string plan = $"{GemmTileSize.All[(int)tile]} split {splits}, B={batch} I={inputs} O={outputs}";
        AssertClose(expected[0], actual[0], Tolerance.Sum(inputs + 1), $"y ({plan})");
        AssertClose(expected[1], actual[1], Tolerance.Sum(outputs), $"dx ({plan})");
        AssertClose(expected[2], actual[2], Tolerance.Sum(batch), $"dW ({plan})");
    }

    [Fact]
    public void Split_K_sums_give_the_same_bits_run_after_run()
    {
        // The partials are added in the order z = 0…S−1 by one thread per output: no atomics, no race.
        const int batch = 33, inputs = 250, outputs = 19;
        var random = new Random(5);
        float[] x = TestData.Uniform(random, batch * inputs), w = TestData.Uniform(random, outputs * inputs),
            b = TestData.Uniform(random, outputs);
        float[] Once()
        {
            using var r = new Rig(Backend);
            var y = r.Put(new float[batch * outputs], "y");
            Backend.LinearForward(r.Put(x), r.Put(w), r.Put(b), Activation.Identity, batch, inputs, outputs, y);
            return r.Take(y);
        }
        var first = Forced(GemmTileKind.Tile64, 5, Once);
        var second = Forced(GemmTileKind.Tile64, 5, Once);
        Assert.True(first.AsSpan().SequenceEqual(second), "two runs of the same split-K plan differ");
    }

    [Fact]
    public void A_forced_plan_whose_partials_overflow_the_workspace_is_refused_before_launching()
    {
        var backend = Backend;
        // dW (64, n) = dzᵀ·x at batch 128, split in 2: two 64×n slices of partials are one float too many.
        const int batch = 128, outputs = 64;
        int n = (int)(backend.GemmWorkspaceFloats / (2 * outputs)) + 1;
        using var r = new Rig(backend);
        float[] Ones(int count) => Enumerable.Repeat(1f, count).ToArray();
        var dz = r.Put(Ones(batch * outputs));
        var x = r.Put(Ones(batch * n));
        var dw = r.Put(new float[outputs * n], "dW");
        var e = Assert.Throws<InvalidOperationException>(() => Forced(GemmTileKind.Tile64, 2, () =>
        {
            backend.LinearBackwardWeight(x, dz, batch, n, outputs, dw);
            return 0;
        }));
        Assert.Contains("workspace", e.Message);
        Assert.True(r.Take(dw).All(v => v == 0f), "dW was written although the plan was refused");
    }

    protected T Forced<T>(GemmTileKind tile, int splits, Func<T> run)
    {
        var backend = Backend;
        backend.ForcedGemmPlan = (GemmTileSize.All[(int)tile], splits);
        try
        {
            return run();
        }
        finally
        {
            backend.ForcedGemmPlan = null;
        }
    }
}

public sealed class IlgpuCpuGemmPlanKernelTests : GemmPlanKernelTests
{
    protected override string Device => "ilgpu-cpu";

    /// <summary>On the CPU accelerator the kernels run .NET's float arithmetic, as the host does, so the forward's
    /// epilogue can be held to act(v + bias) bit for bit: the forward with each activation is the identity forward
    /// with <c>ActivationKernels.Activate</c> applied on the host, at every output, for each tile whole (the epilogue:
    /// sigmoid and tanh in its second sweep over the thread's outputs, which an output missed or activated twice would
    /// fail) and split (LinearSplitSum), at sizes that cross both tiles' edges.</summary>
    [Theory]
    [InlineData(GemmTileKind.Tile128, 1)]
    [InlineData(GemmTileKind.Tile128, 2)]
    [InlineData(GemmTileKind.Tile64, 1)]
    [InlineData(GemmTileKind.Tile64, 2)]
    public void The_forward_is_the_identity_forward_activated_bit_for_bit(GemmTileKind tile, int splits)
    {
        foreach (var (batch, inputs, outputs) in new[] { (1, 1, 1), (7, 257, 31), (257, 31, 7), (130, 20, 129) })
        {
            var random = new Random(batch + inputs + outputs);
            float[] x = TestData.Uniform(random, batch * inputs), w = TestData.Uniform(random, outputs * inputs),
                b = TestData.Uniform(random, outputs);
            float[] Forward(Activation activation) => Forced(tile, splits, () =>
            {
                using var r = new Rig(Backend);
                var y = r.Put(new float[batch * outputs], "y");
                Backend.LinearForward(r.Put(x), r.Put(w), r.Put(b), activation, batch, inputs, outputs, y);
                r.AssertNoStrayWrites();
                return r.Take(y);
            });
            float[] z = Forward(Activation.Identity);
            foreach (var activation in new[] { Activation.Relu, Activation.Sigmoid, Activation.Tanh })
            {
                float[] y = Forward(activation);
                float[] expected = z.Select(v => ActivationKernels.Activate((int)activation, v)).ToArray();
                int bad = Enumerable.Range(0, y.Length).FirstOrDefault(
                    k => BitConverter.SingleToInt32Bits(y[k]) != BitConverter.SingleToInt32Bits(expected[k]), -1);
                if (bad >= 0)
                    Assert.Fail($"{activation}, {GemmTileSize.All[(int)tile]} split {splits}, B={batch} I={inputs} " +
                                $"O={outputs}: y[{bad}] = {y[bad]:R}, the identity output {z[bad]:R} activated is " +
                                $"{expected[bad]:R}");
            }
        }
    }
}

public sealed class CudaGemmPlanKernelTests : GemmPlanKernelTests
{
    protected override string Device => "cuda";
}

public sealed class OpenClGemmPlanKernelTests : GemmPlanKernelTests
{
    protected override string Device => "opencl";
}
