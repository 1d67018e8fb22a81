using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Digits.Core.Backends;

namespace Digits.Cpu.Gemm;

/// <summary>
/// <see cref="SmallK512"/> for the AVX2 kernels: GEMMs with K ≤ <see cref="SmallK512.MaxK"/> and B stored k-major
/// (B(k,n) = b[k·ldb + n]: the backward-input and backward-weight GEMMs of a layer with ≤ 16 outputs, and every
/// GEMM of nielsen's batch of 10) computed straight from the operands, without packing.
/// <para>Each element is the 256-bit packed micro-kernel's chain — acc = 0, then acc = fma(A(m,k), B(k,n), acc)
/// for k = 0 … K−1, then + bias and the activation — so the results are bit-identical to the packed path's and
/// independent of how the rows and columns are split.</para>
/// <para>Tiles of 6 rows × 16 columns, the packed kernel's: 12 ymm accumulators, and per k 2 loads of B,
/// 6 broadcasts of A and 12 FMAs (15 of AVX2's 16 registers); partial tiles use masked loads and stores.</para>
/// </summary>
internal static unsafe class SmallK256
{
    /// <summary>Rows and columns of a tile.</summary>
    public const int Rows = 6, Cols = 16;

    /// <summary>Whether <paramref name="p"/> takes this path (when the AVX2 kernels run).</summary>
    public static bool Applies(in GemmProblem p) => p.K <= SmallK512.MaxK && !p.TransB && Avx.IsSupported;

    /// <summary>C[m0..m1, n0..n1) of <paramref name="p"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Compute(in GemmProblem p, int m0, int m1, int n0, int n1)
    {
        // Row strips outermost: each strip writes its rows of C front to back (stores stream, one page at a time),
        // and B's K rows (≤ 64 KiB at N = 1024) come from L1/L2 for every strip.
        for (int m = m0; m < m1; m += Rows)
        {
            int rows = Math.Min(Rows, m1 - m);
            for (int n = n0; n < n1; n += Cols) Tile(p, m, rows, n, Math.Min(Cols, n1 - n));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(in GemmProblem p, int m, int rows, int n, int cols)
    {
        bool full = cols == Cols;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        nint lda = p.Lda, am = p.TransA ? 1 : lda, ak = p.TransA ? lda : 1; // A(m,k) = a[m·am + k·ak]
        // Rows past the tile's end read row m's values again (a valid address) and are never stored.
        float* a0 = p.A + m * am, a1 = a0 + (rows > 1 ? am : 0), a2 = a0 + (rows > 2 ? 2 * am : 0),
            a3 = a0 + (rows > 3 ? 3 * am : 0), a4 = a0 + (rows > 4 ? 4 * am : 0), a5 = a0 + (rows > 5 ? 5 * am : 0);
        float* b = p.B + n;
        nint ldb = p.Ldb;
        for (int k = 0; k < p.K; k++, b += ldb)
        {
            Vector256<float> b0, b1;
            if (full) (b0, b1) = (Vector256.Load(b), Vector256.Load(b + 8));
            else (b0, b1) = (Avx.MaskLoad(b, Mask(cols)), Avx.MaskLoad(b + 8, Mask(cols - 8)));
            nint at = k * ak;
            var x = Vector256.Create(a0[at]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a1[at]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a2[at]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a3[at]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a4[at]);
            c40 = Vector256.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a5[at]);
            c50 = Vector256.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
        }
        // The masks are made here, not before the loop: live across it they would need 2 of the 16 registers.
        Vector256<float> k0 = Mask(cols), k1 = Mask(cols - 8);
        var bias = p.Bias == null ? null : p.Bias + n;
        var z0 = bias == null ? default : Avx.MaskLoad(bias, k0);
        var z1 = bias == null ? default : Avx.MaskLoad(bias + 8, k1);
        bool relu = p.Activation == Activation.Relu;
        float* c = p.C + (nint)m * p.Ldc + n;
        nint ldc = p.Ldc;
        Store(c, c00, c01, z0, z1, k0, k1, full, bias != null, relu);
        if (rows > 1) Store(c + ldc, c10, c11, z0, z1, k0, k1, full, bias != null, relu);
        if (rows > 2) Store(c + 2 * ldc, c20, c21, z0, z1, k0, k1, full, bias != null, relu);
        if (rows > 3) Store(c + 3 * ldc, c30, c31, z0, z1, k0, k1, full, bias != null, relu);
        if (rows > 4) Store(c + 4 * ldc, c40, c41, z0, z1, k0, k1, full, bias != null, relu);
        if (rows > 5) Store(c + 5 * ldc, c50, c51, z0, z1, k0, k1, full, bias != null, relu);
        var e = new TileEpilogue(false, null, p.Activation);
        if (e.NeedsRowPass) e.ApplyRowPass(c, p.Ldc, rows, cols);
    }

    /// <summary>Lanes [0, count) set (all of them for count ≥ 8, none for count ≤ 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Mask(int count) =>
        Vector256.LessThan(Vector256.Create(0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f), Vector256.Create((float)count));

    /// <summary>One row of a tile: relu?(acc + bias?), lanes past the tile's columns neither read nor written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* d, Vector256<float> v0, Vector256<float> v1, Vector256<float> z0,
        Vector256<float> z1, Vector256<float> k0, Vector256<float> k1, bool full, bool hasBias, bool relu)
    {
        if (hasBias) (v0, v1) = (v0 + z0, v1 + z1);
        if (relu)
        {
            v0 = Vector256.MaxNative(v0, Vector256<float>.Zero);
            v1 = Vector256.MaxNative(v1, Vector256<float>.Zero);
        }
        if (full)
        {
            v0.Store(d);
            v1.Store(d + 8);
        }
        else
        {
            Avx.MaskStore(d, k0, v0);
            Avx.MaskStore(d + 8, k1, v1);
        }
    }
}
