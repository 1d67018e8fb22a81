using Digits.Core.Backends;
using Digits.Cpu;
using Digits.Tests.Support;
using Xunit;
using static Digits.Tests.Support.Close;

namespace Digits.Tests.Kernels;

/// <summary>
/// CpuBackend's element-wise ops at sizes where they are split between threads (the shared kernel tests stop
/// at 4099 elements): optimizer steps over 200 003 parameters in several chunks, with the weight-decay
/// boundary inside a chunk, and the bias gradient and ReLU gradient at the `large` configuration's shapes.
/// </summary>
public sealed class CpuElementwiseTests
{
    private const int OptimizerCount = 200_003, OptimizerDecayCount = 123_457;

    /// <summary>Two steps of <paramref name="which"/> on <paramref name="be"/> over <see cref="OptimizerCount"/>
    /// parameters (decay on the first <see cref="OptimizerDecayCount"/>): parameters, m (or velocity), v.</summary>
    private static (float[], float[], float[]) TwoOptimizerSteps(IBackend be, string which)
    {
        const int count = OptimizerCount, decay = OptimizerDecayCount;
        var random = new Random(8);
        float[] p0 = TestData.Uniform(random, count), g = TestData.Uniform(random, count);
        float[] m0 = TestData.Uniform(random, count, -0.01f, 0.01f), v0 = TestData.Uniform(random, count, 0f, 0.01f);
        using var r = new Rig(be);
        var (p, m, v) = (r.Put(p0, "parameters"), r.Put(m0, "m"), r.Put(v0, "v"));
        for (int t = 1; t <= 2; t++)
        {
            var grads = r.Put(g);
            if (which == "sgd") be.SgdStep(grads, count, decay, 0.1f, 0.01f, p);
            else if (which == "momentum") be.MomentumStep(grads, count, decay, 0.1f, 0.9f, 0.01f, m, p);
            else be.AdamStep(grads, count, decay, new AdamParameters(0.9f, 0.999f, 1e-8f, 0.01f), t, 1e-3f, m, v, p);
        }
        r.AssertNoStrayWrites();
        return (r.Take(p), r.Take(m), r.Take(v));
    }

    [Theory]
    [InlineData("sgd", SimdLevel.Auto)]
    [InlineData("momentum", SimdLevel.Auto)]
    [InlineData("adam", SimdLevel.Auto)]
    [InlineData("sgd", SimdLevel.Avx2)]
    [InlineData("momentum", SimdLevel.Avx2)]
    [InlineData("adam", SimdLevel.Avx2)]
    public void Optimizer_steps_split_between_threads_match_reference(string which, SimdLevel simd)
    {
        using var cpu = new CpuBackend(2, simd);
        var (ep, em, ev) = TwoOptimizerSteps(new ReferenceBackend(), which);
        long before = cpu.Pool.Dispatches;
        var (ap, am, av) = TwoOptimizerSteps(cpu, which);
        Assert.True(cpu.Pool.Dispatches > before, "the step should have been split between threads");
        AssertClose(ep, ap, Tolerance.Optimizer, $"{which} parameters");
        AssertClose(em, am, Tolerance.Optimizer, $"{which} m/velocity");
        AssertClose(ev, av, Tolerance.Optimizer, $"{which} v");
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("momentum")]
    [InlineData("adam")]
    public void Optimizer_steps_give_the_same_bits_with_either_kernel_width(string which)
    {
        // The 256-bit loops (AVX2 kernels) and the 512-bit Adam loop evaluate the same operations in the same
        // order without FMA, so forcing the AVX2 kernels must not change a bit of the parameters or the moments.
        if (CpuInfo.BestSimd != SimdLevel.Avx512)
            Assert.Skip("one kernel width on this CPU (no AVX-512): nothing to compare the 256-bit loops with");
        using var wide = new CpuBackend(2, SimdLevel.Avx512);
        using var narrow = new CpuBackend(2, SimdLevel.Avx2);
        var (wp, wm, wv) = TwoOptimizerSteps(wide, which);
        var (np, nm, nv) = TwoOptimizerSteps(narrow, which);
        Assert.Equal(Bits(wp), Bits(np)); // parameters
        Assert.Equal(Bits(wm), Bits(nm)); // m or velocity
        Assert.Equal(Bits(wv), Bits(nv)); // v
    }

    private static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);

    [Theory]
    [InlineData(256, 1024)]
    [InlineData(128, 131)]
    public void Bias_and_relu_gradients_at_layer_shapes_match_reference(int batch, int width)
    {
        var random = new Random(batch + width);
        float[] dz = TestData.Uniform(random, batch * width), y = TestData.Uniform(random, batch * width);
        for (int k = 0; k < y.Length; k += 5) y[k] = 0f;
        (float[] db, float[] dx) Go(IBackend be)
        {
            using var r = new Rig(be);
            var db = r.Put(new float[width], "db");
            var d = r.Put(dz, "dz");
            be.BiasBackward(d, batch, width, db);
            be.ActivationBackward(r.Put(y), d, Activation.Relu, batch * width, d);
            r.AssertNoStrayWrites();
            return (r.Take(db), r.Take(d));
        }
        var (edb, edx) = Go(new ReferenceBackend());
        var (adb, adx) = Go(TestBackends.Get("cpu"));
        AssertClose(edb, adb, Tolerance.Sum(batch), "db");
        AssertClose(edx, adx, Tolerance.Exact, "relu gradient in place");
    }
}
