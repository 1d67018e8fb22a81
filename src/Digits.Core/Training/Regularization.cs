using System.Globalization;
using System.Text.Json.Serialization;
using Digits.Core.Backends;

namespace Digits.Core.Training;

/// <summary>
/// Drop probabilities of the hidden layers' outputs, one for all or one per hidden layer (<c>--dropout 0.5</c> or
/// <c>--dropout 0.5,0.5,0.3</c>). Compared by value, so options that hold it stay comparable for
/// <c>--resume</c>.
/// </summary>
public sealed class DropoutRates : IEquatable<DropoutRates>
{
    /// <exception cref="ArgumentException">no rates, or one outside [0, 1).</exception>
    [JsonConstructor]
    public DropoutRates(IReadOnlyList<float> values)
    {
        if (values.Count == 0) throw new ArgumentException("--dropout needs at least one rate");
        foreach (float p in values)
            if (!(p >= 0 && p < 1)) throw new ArgumentException($"--dropout rates must be in [0, 1), got {p}");
        Values = values.ToArray();
    }

    public IReadOnlyList<float> Values { get; }

    /// <summary>The rate after hidden layer <paramref name="layer"/> (0-based).</summary>
    public float For(int layer) => Values.Count == 1 ? Values[0] : Values[layer];

    /// <summary>Parses "0.5" or "0.5,0.3"; invariant culture.</summary>
    /// <exception cref="ArgumentException">not numbers in [0, 1).</exception>
    public static DropoutRates Parse(string text)
    {
        var rates = new List<float>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!float.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out float p))
                throw new ArgumentException($"--dropout: '{part}' is not a number (give rates like 0.5 or 0.5,0.3)");
            rates.Add(p);
        }
        return new DropoutRates(rates);
    }

    public bool Equals(DropoutRates? other) => other is not null && Values.SequenceEqual(other.Values);
    public override bool Equals(object? obj) => Equals(obj as DropoutRates);
    public override int GetHashCode() => Values.Aggregate(17, (h, v) => h * 31 + v.GetHashCode());
    public override string ToString() => string.Join(',', Values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
}

/// <summary>
/// Data augmentation of training images (<c>--augment affine[,elastic]</c>), drawn afresh per image and per epoch on
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

    /// <summary>Checks the ranges, naming the flag.</summary>
    /// <exception cref="ArgumentException">a value is out of range.</exception>
    public void Validate()
    {
        if (!Affine && !Elastic) throw new ArgumentException("--augment needs affine, elastic or both");
        if (!(RotationDegrees >= 0 && RotationDegrees <= 180))
            throw new ArgumentException($"--rotate must be in [0, 180] degrees, got {RotationDegrees}");
        if (!(Scale >= 0 && Scale < 1)) throw new ArgumentException($"--scale must be in [0, 1), got {Scale}");
        if (!(ShearDegrees >= 0 && ShearDegrees <= 45))
            throw new ArgumentException($"--shear must be in [0, 45] degrees, got {ShearDegrees}");
        if (!(TranslatePixels >= 0 && TranslatePixels <= 28))
            throw new ArgumentException($"--translate must be in [0, 28] pixels, got {TranslatePixels}");
        if (!(ElasticSigma > 0 && ElasticSigma <= 10))
            throw new ArgumentException($"--elastic-sigma must be in (0, 10] pixels, got {ElasticSigma}");
        if (!(ElasticAlpha >= 0 && ElasticAlpha <= 100))
            throw new ArgumentException($"--elastic-alpha must be in [0, 100] pixels, got {ElasticAlpha}");
    }

    /// <summary>Parses the <c>--augment</c> list: "affine", "elastic", "affine,elastic" (also "none" → null).</summary>
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
                default: throw new ArgumentException($"--augment: unknown augmentation '{word}'; use affine, elastic or affine,elastic");
            }
        if (!affine && !elastic) return null;
        return (ranges ?? new AugmentOptions()) with { Affine = affine, Elastic = elastic };
    }

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

/// <summary>
/// Augments mini-batches on a backend: owns the Gaussian weights and the field scratch, sized once for the largest
/// batch, so a step allocates and uploads nothing.
/// </summary>
public sealed class DeviceAugmenter : IDisposable
{
    private readonly IBackend _backend;
    private readonly DeviceBuffer<float> _gaussian, _field;
    private readonly AugmentParameters _parameters;

    /// <summary>For images of <paramref name="height"/>×<paramref name="width"/>, batches up to
    /// <paramref name="maxBatch"/>; <paramref name="seed"/> keys the draws.</summary>
    public DeviceAugmenter(IBackend backend, AugmentOptions options, ulong seed, int height, int width, int maxBatch)
    {
        options.Validate();
        _backend = backend;
        _parameters = options.Parameters(seed, height, width);
        float[] taps = options.GaussianTaps();
        _gaussian = backend.Allocate<float>(taps.Length);
        try
        {
            backend.Upload<float>(taps, _gaussian.View());
            _field = backend.Allocate<float>(checked((int)_parameters.FieldLength(maxBatch)));
        }
        catch
        {
            _gaussian.Dispose();
            throw;
        }
        MaxBatch = maxBatch;
    }

    public int MaxBatch { get; }

    /// <summary>The op's constants.</summary>
    public AugmentParameters Parameters => _parameters;

    /// <summary>Augments <paramref name="batch"/> images of x into y at the step counter[1] gives.</summary>
    public void Apply(BufferView<float> x, BufferView<int> counter, int batch, BufferView<float> y) =>
        _backend.Augment(x, counter, _parameters, batch, _gaussian.View(), _field.View(), y);

    public void Dispose()
    {
        _field?.Dispose();
        _gaussian.Dispose();
    }
}
