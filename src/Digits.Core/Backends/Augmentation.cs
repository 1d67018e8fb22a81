using System.Runtime.CompilerServices;

namespace Digits.Core.Backends;

/// <summary>One image's affine map from output pixel (u, v) to source position:
/// x = A·qx + B·qy + Cx, y = C·qx + D·qy + Cy with qx = u − Qx, qy = v − Qy.</summary>
public struct AffineMap
{
    public float A, B, C, D, Qx, Qy, Cx, Cy;
}

/// <summary>
/// The arithmetic of <see cref="IBackend.Augment"/>, in scalar functions every backend calls (the ILGPU kernels
/// included), so all of them do the same float operations in the same order.
/// <para>The forward map takes a point p (centred at c = ((W−1)/2, (H−1)/2)) to c + t + s·R(θ)·K(φ)·(p − c), with
/// K(φ) the shear [[1, tan φ], [0, 1]]; each output pixel samples the source at its inverse,
/// c + (1/s)·K(φ)⁻¹·R(−θ)·(q − c − t), plus α times the smoothed elastic field there, bilinearly, with zeros
/// outside the image. θ &gt; 0 turns the digit clockwise as displayed (rows grow downwards).</para>
/// </summary>
public static class Augmentation
{
    /// <summary>sin x for |x| ≤ π by its Taylor series to x¹⁷ (error &lt; 3·10⁻⁸), in plain float multiplies and
    /// adds, so it is the same on every backend (no library sin).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sin(float x)
    {
        float x2 = x * x;
        float p = 1f / 355687428096000f;                 // 1/17!
        p = p * x2 - 1f / 1307674368000f;                // 1/15!
        p = p * x2 + 1f / 6227020800f;                   // 1/13!
        p = p * x2 - 1f / 39916800f;                     // 1/11!
        p = p * x2 + 1f / 362880f;                       // 1/9!
        p = p * x2 - 1f / 5040f;                         // 1/7!
        p = p * x2 + 1f / 120f;
        p = p * x2 - 1f / 6f;
        p = p * x2 + 1f;
        return p * x;
    }

    /// <summary>cos x for |x| ≤ π by its Taylor series to x¹⁸ (see <see cref="Sin"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Cos(float x)
    {
        float x2 = x * x;
        float p = -1f / 6402373705728000f;               // 1/18!
        p = p * x2 + 1f / 20922789888000f;               // 1/16!
        p = p * x2 - 1f / 87178291200f;                  // 1/14!
        p = p * x2 + 1f / 479001600f;                    // 1/12!
        p = p * x2 - 1f / 3628800f;                      // 1/10!
        p = p * x2 + 1f / 40320f;
        p = p * x2 - 1f / 720f;
        p = p * x2 + 1f / 24f;
        p = p * x2 - 0.5f;
        return p * x2 + 1f;
    }

    /// <summary>lo + (hi − lo)·u.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Lerp(float lo, float hi, float u) => lo + (hi - lo) * u;

    /// <summary>Image <paramref name="row"/>'s affine map at global step <paramref name="step"/>.</summary>
    public static AffineMap Map(in AugmentParameters p, int row, int step)
    {
        var b0 = Philox.Block((uint)row, (uint)step, 0, Philox.PurposeAffine, p.SeedLow, p.SeedHigh);
        var b1 = Philox.Block((uint)row, (uint)step, 1, Philox.PurposeAffine, p.SeedLow, p.SeedHigh);
        float theta = Lerp(p.RotationMin, p.RotationMax, Philox.Unit(b0.X));
        float scale = Lerp(p.ScaleMin, p.ScaleMax, Philox.Unit(b0.Y));
        float shear = Lerp(p.ShearMin, p.ShearMax, Philox.Unit(b0.Z));
        float tx = Lerp(p.TranslateMin, p.TranslateMax, Philox.Unit(b0.W));
        float ty = Lerp(p.TranslateMin, p.TranslateMax, Philox.Unit(b1.X));
        float cos = Cos(theta), sin = Sin(theta), k = Sin(shear) / Cos(shear), inv = 1f / scale;
        float cx = (p.Width - 1) * 0.5f, cy = (p.Height - 1) * 0.5f;
        // (1/s)·K⁻¹·R(−θ): R(−θ) = [[cos, sin], [−sin, cos]], K⁻¹ = [[1, −k], [0, 1]].
        return new AffineMap
        {
            A = inv * (cos + k * sin), B = inv * (sin - k * cos), C = inv * -sin, D = inv * cos,
            Qx = cx + tx, Qy = cy + ty, Cx = cx, Cy = cy,
        };
    }

    /// <summary>Element <paramref name="element"/> ∈ [0, 2·H·W) of image <paramref name="row"/>'s raw elastic field
    /// at step <paramref name="step"/>, uniform in [−1, 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float RawField(in AugmentParameters p, int row, int step, int element)
    {
        var b = Philox.Block((uint)element >> 2, (uint)step, (uint)row, Philox.PurposeElastic, p.SeedLow, p.SeedHigh);
        return 2f * Philox.Unit(b.Word(element)) - 1f;
    }

    /// <summary>Source position of output pixel (<paramref name="u"/>, <paramref name="v"/>) (column, row) before the
    /// elastic displacement.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SourceX(in AffineMap m, int u, int v) => m.A * (u - m.Qx) + m.B * (v - m.Qy) + m.Cx;

    /// <inheritdoc cref="SourceX"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SourceY(in AffineMap m, int u, int v) => m.C * (u - m.Qx) + m.D * (v - m.Qy) + m.Cy;

    /// <summary>⌊x⌋ for x clamped to [−2, limit + 1] (so far-away or NaN positions land outside the image).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Floor(float x, int limit)
    {
        if (!(x > -2f)) return -2; // NaN too
        if (x > limit + 1) return limit + 1;
        int i = (int)x;
        return x < i ? i - 1 : i;
    }

    /// <summary>Bilinear interpolation of the four neighbours (p00 at (x0, y0), p01 at (x0 + 1, y0), p10 at
    /// (x0, y0 + 1), p11) with fractions fx, fy ∈ [0, 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Bilinear(float p00, float p01, float p10, float p11, float fx, float fy) =>
        (1f - fy) * ((1f - fx) * p00 + fx * p01) + fy * ((1f - fx) * p10 + fx * p11);
}
