using Digits.Core.Backends;

namespace Digits.Core.Training;

/// <summary>
/// Data augmentation of training images (<see cref="TrainingOptions.Augment"/>: affine, elastic or both), drawn afresh per image and per epoch on
/// the device. Ranges are symmetric: a rotation of ±<see cref="RotationDegrees"/>, a scale in
/// [1 − <see cref="Scale"/>, 1 + <see cref="Scale"/>], a shear of ±<see cref="ShearDegrees"/>, a shift of
/// ±<see cref="TranslatePixels"/> on each axis; the elastic distortion of Simard et al. (ICDAR 2003) with field
/// smoothing σ = <see cref="ElasticSigma"/> and strength α = <see cref="ElasticAlpha"/> pixels. Defaults are the
/// ranges Cireşan et al. ("Deep, big, simple neural nets for handwritten digit recognition", Neural Computation
/// 2010) trained their record MLPs with, shear a little milder.
/// </summary>
public sealed record AugmentOptions
{
    public bool Affine { get; init; } = true;
    public bool Elastic { get; init; }
    public float RotationDegrees { get; init; } = 15f;
    public float Scale { get; init; } = 0.15f;
    public float ShearDegrees { get; init; } = 10f;
    public float TranslatePixels { get; init; } = 2f;
    public float ElasticSigma { get; init; } = 6f;
    public float ElasticAlpha { get; init; } = 36f;

    /// <summary>Checks the ranges; a message names the property ("AugmentOptions.Scale must be in [0, 1), got 1").
    /// </summary>
    /// <exception cref="ArgumentException">a value is out of range.</exception>
    public void Validate()
    {
        if (!Affine && !Elastic) throw new ArgumentException($"{nameof(AugmentOptions)} needs {nameof(Affine)}, {nameof(Elastic)} or both");
        if (!(RotationDegrees >= 0 && RotationDegrees <= 180))
            throw new ArgumentException($"{Name(nameof(RotationDegrees))} must be in [0, 180] degrees, got {RotationDegrees}");
        if (!(Scale >= 0 && Scale < 1)) throw new ArgumentException($"{Name(nameof(Scale))} must be in [0, 1), got {Scale}");
        if (!(ShearDegrees >= 0 && ShearDegrees <= 45))
            throw new ArgumentException($"{Name(nameof(ShearDegrees))} must be in [0, 45] degrees, got {ShearDegrees}");
        if (!(TranslatePixels >= 0 && TranslatePixels <= 28))
            throw new ArgumentException($"{Name(nameof(TranslatePixels))} must be in [0, 28] pixels, got {TranslatePixels}");
        if (!(ElasticSigma > 0 && ElasticSigma <= 10))
            throw new ArgumentException($"{Name(nameof(ElasticSigma))} must be in (0, 10] pixels, got {ElasticSigma}");
        if (!(ElasticAlpha >= 0 && ElasticAlpha <= 100))
            throw new ArgumentException($"{Name(nameof(ElasticAlpha))} must be in [0, 100] pixels, got {ElasticAlpha}");
    }

    /// <summary>Parses a <see cref="Kinds"/> list: "affine", "elastic", "affine,elastic" (also "none" → null), with the
    /// ranges of <paramref name="ranges"/> (else the defaults).</summary>
    /// <exception cref="ArgumentException">an unknown word.</exception>
    public static AugmentOptions? Parse(string text, AugmentOptions? ranges = null)
    {
        bool affine = false, elastic = false;
        foreach (string word in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            switch (word.ToLowerInvariant())
            {
                case "affine": affine = true; break;
                case "elastic": elastic = true; break;
                case "none": break;
                default:
                    throw new ArgumentException($"{Name(nameof(Kinds))}: unknown augmentation '{word}'; use affine, elastic " +
                                                "or affine,elastic");
            }
        if (!affine && !elastic) return null;
        return (ranges ?? new AugmentOptions()) with { Affine = affine, Elastic = elastic };
    }

    /// <summary>"AugmentOptions.Scale" for "Scale": how messages name a property.</summary>
    private static string Name(string property) => $"{nameof(AugmentOptions)}.{property}";

    /// <summary>"affine,elastic" and the like.</summary>
    public string Kinds => Affine && Elastic ? "affine,elastic" : Affine ? "affine" : "elastic";

    /// <summary>The op constants for square or rectangular images of <paramref name="height"/>×<paramref name="width"/>
    /// with key <paramref name="seed"/>; the affine ranges are zero (identity) when <see cref="Affine"/> is off.</summary>
    public AugmentParameters Parameters(ulong seed, int height, int width)
    {
        float Rad(float degrees) => degrees * (MathF.PI / 180f);
        float rotation = Affine ? Rad(RotationDegrees) : 0f, shear = Affine ? Rad(ShearDegrees) : 0f;
        float scale = Affine ? Scale : 0f, shift = Affine ? TranslatePixels : 0f;
        return new AugmentParameters
        {
            SeedLow = Philox.KeyLow(seed), SeedHigh = Philox.KeyHigh(seed), Height = height, Width = width,
            RotationMin = -rotation, RotationMax = rotation, ScaleMin = 1f - scale, ScaleMax = 1f + scale,
            ShearMin = -shear, ShearMax = shear, TranslateMin = -shift, TranslateMax = shift,
            ElasticAlpha = Elastic ? ElasticAlpha : 0f,
            ElasticRadius = Elastic ? (GaussianTaps().Length - 1) / 2 : 0,
        };
    }

    /// <summary>The Gaussian weights for the elastic field (<see cref="AugmentParameters.GaussianTaps"/>), or one
    /// unused tap when the elastic distortion is off.</summary>
    public float[] GaussianTaps() => Elastic ? AugmentParameters.GaussianTaps(ElasticSigma) : [0f];
}
