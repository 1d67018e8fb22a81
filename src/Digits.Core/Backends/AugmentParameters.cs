namespace Digits.Core.Backends;

/// <summary>
/// The constants of one augmentation op (<see cref="IBackend.Augment"/>): each image of a mini-batch is resampled
/// through a random affine map and, when <see cref="ElasticRadius"/> &gt; 0, an elastic distortion (Simard, Steinkraus
/// &amp; Platt, "Best practices for convolutional neural networks applied to visual document analysis", ICDAR 2003):
/// a field of uniform [−1, 1) displacements smoothed by a Gaussian of width σ (the <c>gaussian</c> weights, radius
/// <see cref="ElasticRadius"/>) and scaled by α = <see cref="ElasticAlpha"/> pixels.
/// <para>Per image r of the batch at global step t: θ (rotation, radians), s (scale), φ (shear, radians), tx, ty
/// (translation, pixels) are drawn uniformly from their [min, max] ranges with Philox4x32-10 key = seed, counters
/// (r, t, 0, <see cref="Philox.PurposeAffine"/>) → words θ, s, φ, tx and (r, t, 1, …) → word ty (see
/// <see cref="Augmentation"/>). The elastic field's element e ∈ [0, 2·H·W) (x then y component) is word e mod 4 of
/// block (e / 4, t, r, <see cref="Philox.PurposeElastic"/>). A min equal to its max fixes a parameter.</para>
/// </summary>
public struct AugmentParameters
{
    public uint SeedLow, SeedHigh;

    /// <summary>Image height and width in pixels (H, W); an image is H·W floats, row-major.</summary>
    public int Height, Width;

    public float RotationMin, RotationMax, ScaleMin, ScaleMax, ShearMin, ShearMax, TranslateMin, TranslateMax;

    /// <summary>α, in pixels of displacement per unit of smoothed field.</summary>
    public float ElasticAlpha;

    /// <summary>R: the Gaussian has 2R + 1 taps; 0 switches the elastic distortion off.</summary>
    public int ElasticRadius;

    /// <summary>Floats of scratch the op needs for <paramref name="batch"/> images: 2·B·2·H·W with an elastic
    /// distortion (two fields per image), else 0.</summary>
    public readonly long FieldLength(int batch) => ElasticRadius > 0 ? 4L * batch * Height * Width : 0;

    /// <summary>The normalized Gaussian g[a + R] = exp(−a²/2σ²)/Σ for a ∈ [−R, R], R = min(⌈3σ⌉, 30), computed in
    /// double. Empty for σ = 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">σ is negative or not finite.</exception>
    public static float[] GaussianTaps(float sigma)
    {
        if (!(sigma >= 0) || !float.IsFinite(sigma)) throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "σ must be ≥ 0");
        if (sigma == 0) return [];
        int radius = Math.Min((int)Math.Ceiling(3 * sigma), 30);
        var taps = new double[2 * radius + 1];
        for (int a = -radius; a <= radius; a++) taps[a + radius] = Math.Exp(-a * a / (2.0 * sigma * sigma));
        double sum = taps.Sum();
        return taps.Select(t => (float)(t / sum)).ToArray();
    }
}
