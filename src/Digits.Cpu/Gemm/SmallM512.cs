using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Digits.Core.Backends;

namespace Digits.Cpu.Gemm;

/// <summary>
/// The forward GEMM (NT: C = act(A·Bᵀ + bias), A (M,K) and B (N,K) both k-contiguous) for a mini-batch of at most
/// <see cref="MaxM"/> rows, as dot products straight from the operands: with so few rows the packed path spends
/// most of its time packing the weights (all N×K of them, every step) for a handful of FMAs per weight — the nielsen
/// configuration's 10×784→30 forward took 6–8 µs that way.
/// <para>Tiles of 2 rows of A × 4 rows of B: 8 zmm accumulators, each holding 16 partial sums (lane j sums the k
/// ≡ j mod 16), then reduced by <see cref="Vector512.Sum{T}"/>; K's tail is a masked load. The order of the sums is
/// fixed by K alone, so a result never depends on how rows and columns are split between threads, but it is not the
/// packed path's single chain in k order: the values differ from it in the last bits (the GEMM tests hold both to
/// the reference).</para>
/// </summary>
internal static unsafe class SmallM512
{
    /// <summary>Most rows of A sent here.</summary>
    public const int MaxM = 16;

    /// <summary>Whether <paramref name="p"/> takes this path on this CPU.</summary>
    public static bool Applies(in GemmProblem p) => p.M <= MaxM && !p.TransA && p.TransB && Avx512F.IsSupported;

    /// <summary>C[0..M, n0..n1) of <paramref name="p"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Compute(in GemmProblem p, int n0, int n1)
    {
        for (int n = n0; n < n1; n += 4)
            for (int m = 0; m < p.M; m += 2)
                Tile(p, m, Math.Min(2, p.M - m), n, Math.Min(4, n1 - n));
        var e = new TileEpilogue(false, null, p.Activation);
        if (e.NeedsRowPass) e.ApplyRowPass(p.C + n0, p.Ldc, p.M, n1 - n0);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(in GemmProblem p, int m, int rows, int n, int cols)
    {
        // Rows and columns past the tile's end repeat its first row or column (valid addresses), never stored.
        float* a0 = p.A + (nint)m * p.Lda, a1 = rows > 1 ? a0 + p.Lda : a0;
        float* b0 = p.B + (nint)n * p.Ldb;
        float* b1 = cols > 1 ? b0 + p.Ldb : b0, b2 = cols > 2 ? b0 + 2 * (nint)p.Ldb : b0,
            b3 = cols > 3 ? b0 + 3 * (nint)p.Ldb : b0;
        Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default,
            s10 = default, s11 = default, s12 = default, s13 = default;
        int k = 0, kFull = p.K & ~15;
        for (; k < kFull; k += 16)
        {
            var x0 = Vector512.Load(a0 + k);
            var x1 = Vector512.Load(a1 + k);
            var w = Vector512.Load(b0 + k);
            s00 = Vector512.FusedMultiplyAdd(x0, w, s00);
            s10 = Vector512.FusedMultiplyAdd(x1, w, s10);
            w = Vector512.Load(b1 + k);
            s01 = Vector512.FusedMultiplyAdd(x0, w, s01);
            s11 = Vector512.FusedMultiplyAdd(x1, w, s11);
            w = Vector512.Load(b2 + k);
            s02 = Vector512.FusedMultiplyAdd(x0, w, s02);
            s12 = Vector512.FusedMultiplyAdd(x1, w, s12);
            w = Vector512.Load(b3 + k);
            s03 = Vector512.FusedMultiplyAdd(x0, w, s03);
            s13 = Vector512.FusedMultiplyAdd(x1, w, s13);
        }
        if (k < p.K)
        {
            var iota = Vector512.Create(0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f, 11f, 12f, 13f, 14f, 15f);
            var mask = Vector512.LessThan(iota, Vector512.Create((float)(p.K - k)));
            var zero = Vector512<float>.Zero;
            var x0 = Avx512F.MaskLoad(a0 + k, mask, zero);
            var x1 = Avx512F.MaskLoad(a1 + k, mask, zero);
            var w = Avx512F.MaskLoad(b0 + k, mask, zero);
            s00 = Vector512.FusedMultiplyAdd(x0, w, s00);
            s10 = Vector512.FusedMultiplyAdd(x1, w, s10);
            w = Avx512F.MaskLoad(b1 + k, mask, zero);
            s01 = Vector512.FusedMultiplyAdd(x0, w, s01);
            s11 = Vector512.FusedMultiplyAdd(x1, w, s11);
            w = Avx512F.MaskLoad(b2 + k, mask, zero);
            s02 = Vector512.FusedMultiplyAdd(x0, w, s02);
            s12 = Vector512.FusedMultiplyAdd(x1, w, s12);
            w = Avx512F.MaskLoad(b3 + k, mask, zero);
            s03 = Vector512.FusedMultiplyAdd(x0, w, s03);
            s13 = Vector512.FusedMultiplyAdd(x1, w, s13);
        }
        float* c = p.C + (nint)m * p.Ldc + n;
        Store(p, c, n, cols, Vector512.Sum(s00), Vector512.Sum(s01), Vector512.Sum(s02), Vector512.Sum(s03));
        if (rows > 1)
            Store(p, c + p.Ldc, n, cols, Vector512.Sum(s10), Vector512.Sum(s11), Vector512.Sum(s12),
                Vector512.Sum(s13));
    }

    /// <summary>One row's up to 4 outputs: acc + bias, then relu (sigmoid and tanh run over the rows afterwards,
    /// as in the packed path).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(in GemmProblem p, float* c, int n, int cols, float v0, float v1, float v2, float v3)
    {
        Span<float> v = [v0, v1, v2, v3];
        bool relu = p.Activation == Activation.Relu;
        for (int j = 0; j < cols; j++)
        {
            float s = v[j];
            if (p.Bias != null) s += p.Bias[n + j];
            if (relu) s = s > 0 ? s : 0;
            c[j] = s;
        }
    }
}
