using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Digits.Core.Backends;

namespace Digits.Cpu.Gemm;

/// <summary>
/// GEMMs with a short inner dimension (K ≤ <see cref="MaxK"/>) and B stored k-major (B(k,n) = b[k·ldb + n]: the
/// backward-input and backward-weight GEMMs of a layer with ≤ 16 outputs, and every GEMM of the nielsen
/// configuration's batch of 10), computed straight from the operands without packing. There, packing is most of
/// the work: the 256×1024 input gradient of the large configuration's 10-wide layer (K = 10) took 75 µs through
/// the packed path, which packs all of B for 10 FMAs per element.
/// <para>Each element is the same chain as in the packed micro-kernels — acc = 0, then acc = fma(A(m,k), B(k,n),
/// acc) for k = 0 … K−1, then + bias and the activation — so the results are bit-identical to the packed path's
/// (whose K ≤ 256 is one k block), and independent of how the rows and columns are split.</para>
/// <para>Tiles of 4 rows × 64 columns (16 zmm accumulators; per k: 4 loads of B, 4 broadcasts of A, 16 FMAs);
/// partial tiles use masked loads and stores.</para>
/// </summary>
internal static unsafe class SmallK512
{
    /// <summary>Longest inner dimension sent here.</summary>
    public const int MaxK = 16;

    /// <summary>Rows and columns of a tile.</summary>
    public const int Rows = 4, Cols = 64;

    /// <summary>Whether <paramref name="p"/> takes this path on this CPU.</summary>
    public static bool Applies(in GemmProblem p) => p.K <= MaxK && !p.TransB && Avx512F.IsSupported;

    /// <summary>C[m0..m1, n0..n1) of <paramref name="p"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Compute(in GemmProblem p, int m0, int m1, int n0, int n1)
    {
        for (int n = n0; n < n1; n += Cols)
        {
            int cols = Math.Min(Cols, n1 - n);
            for (int m = m0; m < m1; m += Rows) Tile(p, m, Math.Min(Rows, m1 - m), n, cols);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(in GemmProblem p, int m, int rows, int n, int cols)
    {
        var iota = Vector512.Create(0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f, 11f, 12f, 13f, 14f, 15f);
        var k0 = Vector512.LessThan(iota, Vector512.Create((float)cols));
        var k1 = Vector512.LessThan(iota, Vector512.Create((float)(cols - 16)));
        var k2 = Vector512.LessThan(iota, Vector512.Create((float)(cols - 32)));
        var k3 = Vector512.LessThan(iota, Vector512.Create((float)(cols - 48)));
        bool full = cols == Cols;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default,
            c10 = default, c11 = default, c12 = default, c13 = default,
            c20 = default, c21 = default, c22 = default, c23 = default,
            c30 = default, c31 = default, c32 = default, c33 = default;
        float* a = p.A;
        nint lda = p.Lda, am = p.TransA ? 1 : lda, ak = p.TransA ? lda : 1; // A(m,k) = a[m·am + k·ak]
        float* a0 = a + m * am, a1 = a0 + (rows > 1 ? am : 0), a2 = a0 + (rows > 2 ? 2 * am : 0),
            a3 = a0 + (rows > 3 ? 3 * am : 0);
        for (int k = 0; k < p.K; k++)
        {
            float* b = p.B + (nint)k * p.Ldb + n;
            Vector512<float> b0, b1, b2, b3;
            if (full)
            {
                (b0, b1, b2, b3) = (Vector512.Load(b), Vector512.Load(b + 16), Vector512.Load(b + 32),
                    Vector512.Load(b + 48));
            }
            else
            {
                b0 = Avx512F.MaskLoad(b, k0, Vector512<float>.Zero);
                b1 = Avx512F.MaskLoad(b + 16, k1, Vector512<float>.Zero);
                b2 = Avx512F.MaskLoad(b + 32, k2, Vector512<float>.Zero);
                b3 = Avx512F.MaskLoad(b + 48, k3, Vector512<float>.Zero);
            }
            nint at = k * ak;
            // Rows past the tile's end read row m's values again (a valid address) and are never stored.
            var x0 = Vector512.Create(a0[at]);
            c00 = Vector512.FusedMultiplyAdd(x0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x0, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(x0, b2, c02);
            c03 = Vector512.FusedMultiplyAdd(x0, b3, c03);
            var x1 = Vector512.Create(a1[at]);
            c10 = Vector512.FusedMultiplyAdd(x1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x1, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(x1, b2, c12);
            c13 = Vector512.FusedMultiplyAdd(x1, b3, c13);
            var x2 = Vector512.Create(a2[at]);
            c20 = Vector512.FusedMultiplyAdd(x2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x2, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(x2, b2, c22);
            c23 = Vector512.FusedMultiplyAdd(x2, b3, c23);
            var x3 = Vector512.Create(a3[at]);
            c30 = Vector512.FusedMultiplyAdd(x3, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x3, b1, c31);
            c32 = Vector512.FusedMultiplyAdd(x3, b2, c32);
            c33 = Vector512.FusedMultiplyAdd(x3, b3, c33);
        }
        var bias = p.Bias == null ? null : p.Bias + n;
        Vector512<float> z0 = default, z1 = default, z2 = default, z3 = default;
        if (bias != null)
        {
            z0 = Avx512F.MaskLoad(bias, k0, Vector512<float>.Zero);
            z1 = Avx512F.MaskLoad(bias + 16, k1, Vector512<float>.Zero);
            z2 = Avx512F.MaskLoad(bias + 32, k2, Vector512<float>.Zero);
            z3 = Avx512F.MaskLoad(bias + 48, k3, Vector512<float>.Zero);
        }
        bool relu = p.Activation == Activation.Relu;
        float* c = p.C + (nint)m * p.Ldc + n;
        Store(c, c00, c01, c02, c03, z0, z1, z2, z3, k0, k1, k2, k3, bias != null, relu);
        if (rows > 1) Store(c + p.Ldc, c10, c11, c12, c13, z0, z1, z2, z3, k0, k1, k2, k3, bias != null, relu);
        if (rows > 2) Store(c + 2 * (nint)p.Ldc, c20, c21, c22, c23, z0, z1, z2, z3, k0, k1, k2, k3, bias != null, relu);
        if (rows > 3) Store(c + 3 * (nint)p.Ldc, c30, c31, c32, c33, z0, z1, z2, z3, k0, k1, k2, k3, bias != null, relu);
        var e = new TileEpilogue(false, null, p.Activation);
        if (e.NeedsRowPass) e.ApplyRowPass(c, p.Ldc, rows, cols);
    }

    /// <summary>One row of a tile: relu?(acc + bias?), lanes past the tile's columns neither read nor written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* d, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2,
        Vector512<float> v3, Vector512<float> z0, Vector512<float> z1, Vector512<float> z2, Vector512<float> z3,
        Vector512<float> k0, Vector512<float> k1, Vector512<float> k2, Vector512<float> k3, bool hasBias, bool relu)
    {
        if (hasBias) (v0, v1, v2, v3) = (v0 + z0, v1 + z1, v2 + z2, v3 + z3);
        if (relu)
        {
            v0 = Vector512.MaxNative(v0, Vector512<float>.Zero);
            v1 = Vector512.MaxNative(v1, Vector512<float>.Zero);
            v2 = Vector512.MaxNative(v2, Vector512<float>.Zero);
            v3 = Vector512.MaxNative(v3, Vector512<float>.Zero);
        }
        Avx512F.MaskStore(d, k0, v0);
        Avx512F.MaskStore(d + 16, k1, v1);
        Avx512F.MaskStore(d + 32, k2, v2);
        Avx512F.MaskStore(d + 48, k3, v3);
    }
}
