using Digits.Core.Backends;
using Digits.Core.Model;
using Digits.Cpu;
using Digits.Gpu;
using Digits.Tests.Support;
using Xunit;
using static Digits.Tests.Support.Close;

namespace Digits.Tests.Gpu;

/// <summary>
/// The GEMMs' float4 tile loads (linear.cl, chosen per input by <see cref="GpuBackend.Float4Aligned"/>): at
/// shapes where every, some or no leading dimension is a multiple of 4, and with each input's view at an
/// aligned or unaligned offset, every op matches the reference and — the tiles being the same either way —
/// the scalar loads bit for bit. Written once, run per GPU backend (a misaligned float4 load faults on CUDA, so
/// there these also check that the host never asks for one).
/// </summary>
public abstract class GemmFloat4Tests
{
    /// <summary>The device under test, as <c>--device</c> spells it.</summary>
    protected abstract string Device { get; }

    /// <summary>(B, I, O). I and O both multiples of 4 (float4 wherever the offset allows); O = 10 (the large
    /// configuration's last layer: dz never float4); I not a multiple of 4; neither; a single float4 run; tile
    /// residues past several tiles.</summary>
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 65, 20, 68 }, { 3, 36, 12 }, { 67, 132, 10 }, { 2, 1024, 10 }, { 33, 17, 64 }, { 9, 31, 7 }, { 1, 4, 4 },
        { 130, 260, 132 },
    };

    /// <summary>View offsets of the op's two inputs: both aligned, one unaligned either way, both unaligned.</summary>
    private static readonly (int First, int Second)[] Offsets = [(0, 0), (4, 8), (0, 5), (6, 0), (1, 3)];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_GEMM_with_float4_loads_matches_the_reference_and_the_scalar_loads(int batch, int inputs,
        int outputs)
    {
        var backend = (GpuBackend)TestBackends.Get(Device);
        var random = new Random(batch * 7919 + inputs * 31 + outputs);
        float[] x = TestData.Uniform(random, batch * inputs), w = TestData.Uniform(random, outputs * inputs),
            bias = TestData.Uniform(random, outputs), dz = TestData.Uniform(random, batch * outputs);
        foreach (var (first, second) in Offsets)
        {
            string at = $"B={batch} I={inputs} O={outputs}, offsets {first} and {second}";
            Check(backend, batch * outputs, Tolerance.Sum(inputs + 1), $"y ({at})", (be, r, y) =>
                be.LinearForward(r.Put(x, first, "x"), r.Put(w, second, "w"), r.Put(bias, 2, "bias"), Activation.Tanh,
                    batch, inputs, outputs, y));
            Check(backend, batch * inputs, Tolerance.Sum(outputs), $"dx ({at})", (be, r, dx) =>
                be.LinearBackwardInput(r.Put(dz, first, "dz"), r.Put(w, second, "w"), batch, inputs, outputs, dx));
            Check(backend, outputs * inputs, Tolerance.Sum(batch), $"dW ({at})", (be, r, dw) =>
                be.LinearBackwardWeight(r.Put(x, first, "x"), r.Put(dz, second, "dz"), batch, inputs, outputs, dw));
        }
    }

    /// <summary>Runs <paramref name="op"/> on the reference, then on <paramref name="backend"/> with float4 loads
    /// and without, into a destination at offset 3 pre-filled with garbage (the ops overwrite).</summary>
    private static void Check(GpuBackend backend, int length, Tolerance tolerance, string name,
        Action<IBackend, Rig, BufferView<float>> op)
    {
        float[] Go(IBackend be)
        {
            using var r = new Rig(be);
            var destination = r.Put(TestData.Uniform(new Random(length), length, 50f, 60f), 3, "destination");
            op(be, r, destination);
            r.AssertNoStrayWrites();
            return r.Take(destination);
        }

        float[] expected = Go(new ReferenceBackend());
        float[] vector = Go(backend), scalar;
        try
        {
            backend.VectorLoads = false;
            scalar = Go(backend);
        }
        finally
        {
            backend.VectorLoads = true;
        }
        AssertClose(expected, vector, tolerance, name);
        AssertClose(scalar, vector, Tolerance.Exact, $"{name}: float4 vs scalar loads");
    }
}

public sealed class OpenClGemmFloat4Tests : GemmFloat4Tests
{
    protected override string Device => "opencl";
}

public sealed class CudaGemmFloat4Tests : GemmFloat4Tests
{
    protected override string Device => "cuda";
}

/// <summary>When the host asks for float4 loads (no device needed).</summary>
public sealed class Float4AlignmentTests
{
    [Theory]
    [InlineData(0, 784, true)]
    [InlineData(802816, 1024, true)]
    [InlineData(4, 4, true)]
    [InlineData(5, 784, false)]
    [InlineData(2, 1024, false)]
    [InlineData(0, 10, false)]
    [InlineData(8, 30, false)]
    public void Offset_and_leading_dimension_must_both_be_multiples_of_4(int offset, int leading, bool expected) =>
        Assert.Equal(expected, GpuBackend.Float4Aligned(offset, leading));

    /// <summary>Weights are a prefix of the flat parameters, one layer after another, and activations have buffers
    /// of their own, so every weight of the large configuration (784-1024-1024-10) starts 16-byte aligned and its
    /// GEMMs read it with float4 (the batch-side inputs too, except the 10-wide last layer's dz).</summary>
    [Fact]
    public void The_large_configuration_reads_every_weight_with_float4()
    {
        var layout = new ParameterLayout(new MlpSpec([784, 1024, 1024, 10], Activation.Relu, LossKind.CrossEntropy));
        for (int l = 0; l < 3; l++)
            Assert.True(GpuBackend.Float4Aligned(layout.WeightOffset(l), layout.Spec.Widths[l]),
                $"layer {l}: weight at {layout.WeightOffset(l)}, leading dimension {layout.Spec.Widths[l]}");
    }
}
