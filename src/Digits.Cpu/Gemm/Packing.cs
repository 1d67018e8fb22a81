using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Digits.Cpu.Gemm;

/// <summary>
/// Copies blocks of A and B into the panel layouts the micro-kernels stream through (BLIS's packing):
/// A in panels of MR rows, k-major (panel p holds a[k·MR + r] = A(m0 + p·MR + r, k0 + k)); B in panels of NR
/// columns, k-major (b[k·w + j] = B(k0 + k, n0 + q·NR + j), w = NR, or NR/2 for a narrow last panel). Rows and
/// columns past the matrix are zero, so the kernels never branch on edges inside their k loop.
/// Transposed operands (stored k-contiguous) go through <see cref="Transpose"/>.
/// </summary>
internal static unsafe class Packing
{
    /// <summary>Width of panel q of a block of <paramref name="cols"/> columns: NR, or NR/2 when the block's
    /// last panel has at most NR/2 columns (so a 10-wide output layer runs the half-width kernel).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int PanelWidth(int cols, int q, int nr)
    {
        int left = cols - q * nr;
        return left <= nr / 2 ? nr / 2 : nr;
    }

    /// <summary>Packs rows [m0, m0+rows) × k in [k0, k0+kc) of A into MR-row panels at <paramref name="dst"/>.
    /// A(m,k) = a[m·lda + k], or a[k·lda + m] when <paramref name="transposed"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(float* a, int lda, bool transposed, int m0, int rows, int k0, int kc, int mr,
        float* dst, bool wide = true)
    {
        for (int p = 0; p * mr < rows; p++)
        {
            int h = Math.Min(mr, rows - p * mr);
            float* d = dst + (nint)p * mr * kc;
            if (transposed)
            {
                float* s = a + (nint)k0 * lda + m0 + p * mr;
                for (int k = 0; k < kc; k++, s += lda, d += mr) CopyPadded(s, d, h, mr);
            }
            else
            {
                float* s = a + (nint)(m0 + p * mr) * lda + k0;
                Transpose.Pack(s, lda, h, kc, d, mr, wide);
            }
        }
    }

    /// <summary>Packs k in [k0, k0+kc) × columns [n0, n0+cols) of B into NR-column panels at
    /// <paramref name="dst"/> (panel q at q·NR·kc). B(k,n) = b[k·ldb + n], or b[n·ldb + k] when
    /// <paramref name="transposed"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(float* b, int ldb, bool transposed, int k0, int kc, int n0, int cols, int nr,
        float* dst, bool wide = true)
    {
        for (int q = 0; q * nr < cols; q++)
        {
            int w = PanelWidth(cols, q, nr), h = Math.Min(w, cols - q * nr);
            float* d = dst + (nint)q * nr * kc;
            if (transposed)
            {
                float* s = b + (nint)(n0 + q * nr) * ldb + k0;
                Transpose.Pack(s, ldb, h, kc, d, w, wide);
            }
            else
            {
                float* s = b + (nint)k0 * ldb + n0 + q * nr;
                for (int k = 0; k < kc; k++, s += ldb, d += w) CopyPadded(s, d, h, w);
            }
        }
    }

    /// <summary>d[0..h) = s[0..h), d[h..w) = 0, in 256-, 128- and 64-bit pieces where they fit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyPadded(float* s, float* d, int h, int w)
    {
        int j = 0;
        for (; j + 8 <= h; j += 8) Vector256.Load(s + j).Store(d + j);
        if (j + 4 <= h)
        {
            Vector128.Load(s + j).Store(d + j);
            j += 4;
        }
        if (j + 2 <= h) // the AVX2 kernels' 6-row A panels: 4 + 2 floats
        {
            *(long*)(d + j) = *(long*)(s + j);
            j += 2;
        }
        for (; j < h; j++) d[j] = s[j];
        for (; j < w; j++) d[j] = 0;
    }
}
