using Digits.Core.Backends;
using Digits.Cpu;
using Digits.Tests.Support;
using Xunit;
using static Digits.Tests.Support.Close;

namespace Digits.Tests.Gpu;

/// <summary>
/// The three GEMMs of a GPU backend against the reference at every residue of the tile sizes (rows and
/// columns mod 64, the reduction mod 16: the sizes the kernels' edge handling must get right), at sizes
/// several tiles wide (257×785×129) and at batch 1; each with its inputs at offset 5 (scalar tile loads) and at
/// offset 0 (float4 loads where the leading dimension is a multiple of 4). Written once, run per GPU backend.
/// </summary>
public abstract class GemmTileTests
{
    /// <summary>The device under test, as <c>--device</c> spells it.</summary>
    protected abstract string Device { get; }

    private IBackend Backend => TestBackends.Get(Device);

    /// <summary>Where the inputs' views start: unaligned (scalar tile loads), then aligned (float4 where allowed).</summary>
    private static readonly int[] Offsets = [5, 0];

    public static TheoryData<int, int, int> LargeShapes => new()
    {
        { 257, 785, 129 }, { 1, 785, 129 }, { 1, 1, 300 }, { 300, 1, 1 }, { 64, 64, 64 }, { 65, 17, 63 },
    };

    /// <summary>64 shapes: B runs through every residue mod 64, O through every residue mod 64 (29 is coprime
    /// with 64), I through every residue mod 16, each past one tile.</summary>
    private static IEnumerable<(int B, int I, int O)> Residues() =>
        Enumerable.Range(0, 64).Select(r => (65 + r, 17 + r % 16 + 16 * (r % 3), 65 + r * 29 % 64));

    [Fact]
    public void LinearForward_at_every_tile_residue()
    {
        var backend = Backend;
        foreach (var (b, i, o) in Residues())
            foreach (int offset in Offsets) Forward(backend, b, i, o, offset);
    }

    [Fact]
    public void LinearBackwardInput_at_every_tile_residue()
    {
        var backend = Backend;
        foreach (var (b, i, o) in Residues())
            foreach (int offset in Offsets) BackwardInput(backend, b, i, o, offset);
    }

    [Fact]
    public void LinearBackwardWeight_at_every_tile_residue()
    {
        var backend = Backend;
        foreach (var (b, i, o) in Residues())
            foreach (int offset in Offsets) BackwardWeight(backend, b, i, o, offset);
    }

    [Theory]
    [MemberData(nameof(LargeShapes))]
    public void All_three_GEMMs_at_large_and_batch_1_shapes(int batch, int inputs, int outputs)
    {
        var backend = Backend;
        foreach (int offset in Offsets)
        {
            Forward(backend, batch, inputs, outputs, offset);
            BackwardInput(backend, batch, inputs, outputs, offset);
            BackwardWeight(backend, batch, inputs, outputs, offset);
        }
    }

    private static void Forward(IBackend backend, int batch, int inputs, int outputs, int offset)
    {
        var random = new Random(batch * 7919 + inputs * 31 + outputs);
        float[] x = TestData.Uniform(random, batch * inputs), w = TestData.Uniform(random, outputs * inputs),
            b = TestData.Uniform(random, outputs);
        float[] Go(IBackend be) => Run(be, batch * outputs, (r, y) =>
            be.LinearForward(r.Put(x, offset), r.Put(w, offset), r.Put(b), Activation.Tanh, batch, inputs, outputs, y));
        AssertClose(Go(new ReferenceBackend()), Go(backend), Tolerance.Sum(inputs + 1),
            $"y ({batch}×{inputs}→{outputs}, offset {offset})");
    }

    private static void BackwardInput(IBackend backend, int batch, int inputs, int outputs, int offset)
    {
        var random = new Random(batch * 7919 + inputs * 31 + outputs + 1);
        float[] dz = TestData.Uniform(random, batch * outputs), w = TestData.Uniform(random, outputs * inputs);
        float[] Go(IBackend be) => Run(be, batch * inputs, (r, dx) =>
            be.LinearBackwardInput(r.Put(dz, offset), r.Put(w, offset), batch, inputs, outputs, dx));
        AssertClose(Go(new ReferenceBackend()), Go(backend), Tolerance.Sum(outputs),
            $"dx ({batch},{inputs},{outputs}, offset {offset})");
    }

    private static void BackwardWeight(IBackend backend, int batch, int inputs, int outputs, int offset)
    {
        var random = new Random(batch * 7919 + inputs * 31 + outputs + 2);
        float[] x = TestData.Uniform(random, batch * inputs), dz = TestData.Uniform(random, batch * outputs);
        float[] Go(IBackend be) => Run(be, outputs * inputs, (r, dw) =>
            be.LinearBackwardWeight(r.Put(x, offset), r.Put(dz, offset), batch, inputs, outputs, dw));
        AssertClose(Go(new ReferenceBackend()), Go(backend), Tolerance.Sum(batch),
            $"dW ({batch},{inputs},{outputs}, offset {offset})");
    }

    /// <summary>Runs <paramref name="op"/> into a destination pre-filled with garbage (the ops overwrite).</summary>
    private static float[] Run(IBackend backend, int length, Action<Rig, BufferView<float>> op)
    {
        using var r = new Rig(backend);
        var destination = r.Put(TestData.Uniform(new Random(length), length, 50f, 60f), "destination");
        op(r, destination);
        r.AssertNoStrayWrites();
        return r.Take(destination);
    }
}

public sealed class OpenClGemmTileTests : GemmTileTests
{
    protected override string Device => "opencl";
}

public sealed class CudaGemmTileTests : GemmTileTests
{
    protected override string Device => "cuda";
}
