using Digits.Core.Backends;
using Digits.Cpu;
using Digits.Tests.Support;
using Xunit;
using static Digits.Tests.Support.Close;

namespace Digits.Tests.Kernels;

/// <summary>
/// The CPU backend's GEMM where the shared kernel tests do not reach: shapes past several cache blocks
/// (K across the KC boundary, N across NC), and every residual of the register tile in each dimension for
/// both micro-kernel widths (12×32 and 6×16), through all three dense-layer products.
/// </summary>
public sealed class CpuGemmTests
{
    public enum Op
    {
        Forward,
        BackwardInput,
        BackwardWeight,
    }

    /// <summary>Runs one op on <paramref name="backend"/> through padded views (offsets, sentinels).</summary>
    internal static float[] RunOp(IBackend backend, Op op, int batch, int inputs, int outputs, int seed,
        Activation activation = Activation.Relu)
    {
        var random = new Random(seed);
        using var r = new Rig(backend);
        BufferView<float> result;
        switch (op)
        {
            case Op.Forward:
                result = r.Put(new float[batch * outputs], "y");
                backend.LinearForward(r.Put(TestData.Uniform(random, batch * inputs)),
                    r.Put(TestData.Uniform(random, outputs * inputs)), r.Put(TestData.Uniform(random, outputs)),
                    activation, batch, inputs, outputs, result);
                break;
            case Op.BackwardInput:
                result = r.Put(new float[batch * inputs], "dx");
                backend.LinearBackwardInput(r.Put(TestData.Uniform(random, batch * outputs)),
                    r.Put(TestData.Uniform(random, outputs * inputs)), batch, inputs, outputs, result);
                break;
            default:
                result = r.Put(new float[outputs * inputs], "dW");
                backend.LinearBackwardWeight(r.Put(TestData.Uniform(random, batch * inputs)),
                    r.Put(TestData.Uniform(random, batch * outputs)), batch, inputs, outputs, result);
                break;
        }
        r.AssertNoStrayWrites();
        return r.Take(result);
    }

    /// <summary>Terms in each output's sum.</summary>
    private static int Terms(Op op, int batch, int inputs, int outputs) => op switch
    {
        Op.Forward => inputs + 1,
        Op.BackwardInput => outputs,
        _ => batch,
    };

    private static void AssertMatchesReference(IBackend backend, Op op, int batch, int inputs, int outputs)
    {
        int seed = batch * 7919 + inputs * 31 + outputs;
        float[] expected = RunOp(new ReferenceBackend(), op, batch, inputs, outputs, seed);
        float[] actual = RunOp(backend, op, batch, inputs, outputs, seed);
        AssertClose(expected, actual, Tolerance.Sum(Terms(op, batch, inputs, outputs)),
            $"{op} on {backend.Name} (B={batch}, I={inputs}, O={outputs})");
    }

    public static TheoryData<Op, int, int, int> LargeShapes => new()
    {
        { Op.Forward, 300, 1000, 500 }, { Op.BackwardInput, 300, 1000, 500 }, { Op.BackwardWeight, 300, 1000, 500 },
        // K = 784 (4 blocks of KC), N = 1100 (past NC), M = 97 (not a multiple of 12 or 6).
        { Op.Forward, 97, 784, 1100 }, { Op.BackwardInput, 97, 1100, 784 }, { Op.BackwardWeight, 784, 1100, 97 },
        { Op.Forward, 256, 1024, 10 }, { Op.BackwardInput, 256, 1024, 10 }, { Op.BackwardWeight, 256, 1024, 10 },
    };

    [Theory]
    [MemberData(nameof(LargeShapes))]
    public void Large_shapes_match_reference(Op op, int batch, int inputs, int outputs) =>
        AssertMatchesReference(TestBackends.Get("cpu"), op, batch, inputs, outputs);

    public static TheoryData<string, Op> DevicesAndOps
    {
        get
        {
            var data = new TheoryData<string, Op>();
            foreach (string device in new[] { "cpu", "cpu-avx2" })
                foreach (var op in Enum.GetValues<Op>()) data.Add(device, op);
            return data;
        }
    }

    /// <summary>M = 2·MR + every residual of MR, N = NR + every residual of NR (so the full, half-width and
    /// partial panels all occur), K around the transposing pack's 16-wide blocks. Shapes are given as the op's
    /// (M, N, K) and mapped to (B, I, O).</summary>
    [Theory]
    [MemberData(nameof(DevicesAndOps))]
    public void Every_tile_residual_matches_reference(string device, Op op)
    {
        var backend = (CpuBackend)TestBackends.Get(device);
        int mr = backend.Gemm.Mr, nr = backend.Gemm.Nr;
        int[] ks = [1, 15, 16, 17, 40];
        for (int dm = 0; dm < mr; dm++)
            for (int dn = 0; dn < nr; dn++)
            {
                int m = 2 * mr + dm, n = nr + dn, k = ks[(dm + dn) % ks.Length];
                var (batch, inputs, outputs) = op switch
                {
                    Op.Forward => (m, k, n),
                    Op.BackwardInput => (m, n, k),
                    _ => (k, n, m),
                };
                AssertMatchesReference(backend, op, batch, inputs, outputs);
            }
    }

    [Theory]
    [MemberData(nameof(DevicesAndOps))]
    public void K_across_cache_blocks_matches_reference(string device, Op op)
    {
        var backend = TestBackends.Get(device);
        foreach (int k in new[] { 255, 256, 257, 511, 513, 784 })
        {
            var (batch, inputs, outputs) = op switch
            {
                Op.Forward => (13, k, 35),
                Op.BackwardInput => (13, 35, k),
                _ => (k, 35, 13),
            };
            AssertMatchesReference(backend, op, batch, inputs, outputs);
        }
    }

    [Theory]
    [InlineData(Activation.Identity)]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Tanh)]
    public void Forward_fuses_every_activation_across_k_blocks(Activation activation)
    {
        // K = 600 spans three k blocks: bias and activation must be applied once, after the last.
        const int batch = 29, inputs = 600, outputs = 70;
        float[] expected = RunOp(new ReferenceBackend(), Op.Forward, batch, inputs, outputs, 5, activation);
        float[] actual = RunOp(TestBackends.Get("cpu"), Op.Forward, batch, inputs, outputs, 5, activation);
        AssertClose(expected, actual, Tolerance.Sum(inputs + 1), $"y ({activation})");
    }
}
