using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Digits.Cpu.Gemm;

/// <summary>
/// The transposing copy behind packing a k-contiguous operand (A of the forward and backward-input GEMMs, W in
/// the forward). With AVX-512 it moves 16×16 blocks through registers (4 rounds of 16 shuffles, ≈ 0.3 cycles
/// per element against ≈ 2.5 for the scalar loop, whose strided stores miss L1); with AVX2 (and for the AVX2
/// kernels' 6- and 8-wide panels) 8×8 blocks (3 rounds of 8 shuffles). The 6-wide panels are written as 4 + 2
/// floats (a 256-bit masked store, <c>vmaskmovps</c>, is microcoded on AMD Zen 1–3 — LLVM avoids it there, pull
/// request 214187 — and these were 8 per block of every A pack); other panels narrower than a block with masked
/// stores.
/// </summary>
internal static unsafe class Transpose
{
    /// <summary>dst[k·w + r] = src[r·lds + k] for r &lt; rows, k &lt; cols; dst[k·w + r] = 0 for
    /// rows ≤ r &lt; w. Requires rows ≤ w. <paramref name="wide"/> = false keeps to 256-bit instructions (the
    /// AVX2 kernels' path, also when forced on an AVX-512 CPU).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(float* src, int lds, int rows, int cols, float* dst, int w, bool wide = true)
    {
        int k = 0;
        if (wide && Avx512F.IsSupported && cols >= 16)
        {
            for (; k + 16 <= cols; k += 16)
                for (int r0 = 0; r0 < w; r0 += 16)
                    Block16(src + (nint)r0 * lds + k, lds, Math.Clamp(rows - r0, 0, 16), dst + (nint)k * w + r0, w,
                        Math.Min(16, w - r0));
        }
        else if (Avx.IsSupported && cols >= 8)
        {
            for (; k + 8 <= cols; k += 8)
                for (int r0 = 0; r0 < w; r0 += 8)
                    Block8(src + (nint)r0 * lds + k, lds, Math.Clamp(rows - r0, 0, 8), dst + (nint)k * w + r0, w,
                        Math.Min(8, w - r0));
        }
        for (int r = 0; r < rows; r++)
        {
            float* s = src + (nint)r * lds, d = dst + r;
            for (int kk = k; kk < cols; kk++) d[(nint)kk * w] = s[kk];
        }
        for (int r = rows; r < w; r++)
            for (int kk = k; kk < cols; kk++) dst[(nint)kk * w + r] = 0;
    }

    /// <summary>16 columns of up to 16 rows (missing rows read as zero), transposed; writes
    /// <paramref name="width"/> floats of each of the 16 output rows (stride <paramref name="ldd"/>).</summary>
    // Not inlined into Pack (too large for the inliner), so it is a method of its own, and it must be compiled
    // optimized from its first call: left to tiering it ran unoptimized — every Vector512 helper a call — for
    // hundreds of training steps (small forward: 400 µs → 150 µs per step on one thread).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block16(float* s, int lds, int rows, float* d, int ldd, int width)
    {
        Vector512<float> r0 = Row(s, lds, 0, rows), r1 = Row(s, lds, 1, rows), r2 = Row(s, lds, 2, rows),
            r3 = Row(s, lds, 3, rows), r4 = Row(s, lds, 4, rows), r5 = Row(s, lds, 5, rows),
            r6 = Row(s, lds, 6, rows), r7 = Row(s, lds, 7, rows), r8 = Row(s, lds, 8, rows),
            r9 = Row(s, lds, 9, rows), r10 = Row(s, lds, 10, rows), r11 = Row(s, lds, 11, rows),
            r12 = Row(s, lds, 12, rows), r13 = Row(s, lds, 13, rows), r14 = Row(s, lds, 14, rows),
            r15 = Row(s, lds, 15, rows);

        // Round 1: interleave row pairs within each 128-bit lane.
        var t0 = Avx512F.UnpackLow(r0, r1); var t1 = Avx512F.UnpackHigh(r0, r1);
        var t2 = Avx512F.UnpackLow(r2, r3); var t3 = Avx512F.UnpackHigh(r2, r3);
        var t4 = Avx512F.UnpackLow(r4, r5); var t5 = Avx512F.UnpackHigh(r4, r5);
        var t6 = Avx512F.UnpackLow(r6, r7); var t7 = Avx512F.UnpackHigh(r6, r7);
        var t8 = Avx512F.UnpackLow(r8, r9); var t9 = Avx512F.UnpackHigh(r8, r9);
        var t10 = Avx512F.UnpackLow(r10, r11); var t11 = Avx512F.UnpackHigh(r10, r11);
        var t12 = Avx512F.UnpackLow(r12, r13); var t13 = Avx512F.UnpackHigh(r12, r13);
        var t14 = Avx512F.UnpackLow(r14, r15); var t15 = Avx512F.UnpackHigh(r14, r15);

        // Round 2: pairs of pairs; u[4g + c] lane L = column 4L + c of rows 4g..4g+3.
        var u0 = Lo64(t0, t2); var u1 = Hi64(t0, t2); var u2 = Lo64(t1, t3); var u3 = Hi64(t1, t3);
        var u4 = Lo64(t4, t6); var u5 = Hi64(t4, t6); var u6 = Lo64(t5, t7); var u7 = Hi64(t5, t7);
        var u8 = Lo64(t8, t10); var u9 = Hi64(t8, t10); var u10 = Lo64(t9, t11); var u11 = Hi64(t9, t11);
        var u12 = Lo64(t12, t14); var u13 = Hi64(t12, t14); var u14 = Lo64(t13, t15); var u15 = Hi64(t13, t15);

        // Rounds 3 and 4: gather lane L of the four row groups; output row 4L + c.
        for (int c = 0; c < 4; c++)
        {
            var (g0, g1, g2, g3) = c switch
            {
                0 => (u0, u4, u8, u12),
                1 => (u1, u5, u9, u13),
                2 => (u2, u6, u10, u14),
                _ => (u3, u7, u11, u15),
            };
            var x = Avx512F.Shuffle4x128(g0, g1, 0x88); // lanes 0,2 of g0, g1
            var y = Avx512F.Shuffle4x128(g0, g1, 0xDD); // lanes 1,3
            var x2 = Avx512F.Shuffle4x128(g2, g3, 0x88);
            var y2 = Avx512F.Shuffle4x128(g2, g3, 0xDD);
            Store(d + (nint)c * ldd, Avx512F.Shuffle4x128(x, x2, 0x88), width);        // column c
            Store(d + (nint)(4 + c) * ldd, Avx512F.Shuffle4x128(y, y2, 0x88), width);  // column 4 + c
            Store(d + (nint)(8 + c) * ldd, Avx512F.Shuffle4x128(x, x2, 0xDD), width);  // column 8 + c
            Store(d + (nint)(12 + c) * ldd, Avx512F.Shuffle4x128(y, y2, 0xDD), width); // column 12 + c
        }
    }

    /// <summary>8 columns of up to 8 rows (missing rows read as zero), transposed with 256-bit shuffles; writes
    /// <paramref name="width"/> floats of each of the 8 output rows (stride <paramref name="ldd"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block8(float* s, int lds, int rows, float* d, int ldd, int width)
    {
        Vector256<float> r0 = Row8(s, lds, 0, rows), r1 = Row8(s, lds, 1, rows), r2 = Row8(s, lds, 2, rows),
            r3 = Row8(s, lds, 3, rows), r4 = Row8(s, lds, 4, rows), r5 = Row8(s, lds, 5, rows),
            r6 = Row8(s, lds, 6, rows), r7 = Row8(s, lds, 7, rows);
        // Round 1: interleave row pairs within each 128-bit lane.
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        // Round 2: pairs of pairs; u lane L holds columns 4L + c of rows 0–3 (u0..u3) or 4–7 (u4..u7).
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        // Round 3: lane 0 of both halves is column c, lane 1 column 4 + c.
        var mask = width == 8 ? default : Vector256.LessThan(Vector256.Create(0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f),
            Vector256.Create((float)width));
        Store8(d + 0 * (nint)ldd, Avx.Permute2x128(u0, u4, 0x20), width, mask);
        Store8(d + 1 * (nint)ldd, Avx.Permute2x128(u1, u5, 0x20), width, mask);
        Store8(d + 2 * (nint)ldd, Avx.Permute2x128(u2, u6, 0x20), width, mask);
        Store8(d + 3 * (nint)ldd, Avx.Permute2x128(u3, u7, 0x20), width, mask);
        Store8(d + 4 * (nint)ldd, Avx.Permute2x128(u0, u4, 0x31), width, mask);
        Store8(d + 5 * (nint)ldd, Avx.Permute2x128(u1, u5, 0x31), width, mask);
        Store8(d + 6 * (nint)ldd, Avx.Permute2x128(u2, u6, 0x31), width, mask);
        Store8(d + 7 * (nint)ldd, Avx.Permute2x128(u3, u7, 0x31), width, mask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Row8(float* s, int lds, int r, int rows) =>
        r < rows ? Vector256.Load(s + (nint)r * lds) : Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store8(float* d, Vector256<float> v, int width, Vector256<float> mask)
    {
        if (width == 8)
        {
            v.Store(d);
        }
        else if (width == 6) // the 6-row A panels of the AVX2 kernels: 4 + 2 floats, not a masked store
        {
            v.GetLower().Store(d);
            Sse.StoreLow(d + 4, v.GetUpper());
        }
        else
        {
            Avx.MaskStore(d, mask, v);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Row(float* s, int lds, int r, int rows) =>
        r < rows ? Vector512.Load(s + (nint)r * lds) : Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Lo64(Vector512<float> a, Vector512<float> b) =>
        Avx512F.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Hi64(Vector512<float> a, Vector512<float> b) =>
        Avx512F.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();

    /// <summary>Stores the first <paramref name="width"/> floats of <paramref name="v"/> (16, 12 or fewer).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* d, Vector512<float> v, int width)
    {
        if (width == 16)
        {
            v.Store(d);
        }
        else if (width == 12)
        {
            v.GetLower().Store(d);
            v.GetUpper().GetLower().Store(d + 8);
        }
        else
        {
            var iota = Vector512.Create(0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f, 11f, 12f, 13f, 14f, 15f);
            Avx512F.MaskStore(d, Vector512.LessThan(iota, Vector512.Create((float)width)), v);
        }
    }
}
