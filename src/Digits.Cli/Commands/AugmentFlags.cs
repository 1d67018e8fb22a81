using Digits.Cli.Verbs;
using Digits.Core.Training;

namespace Digits.Cli.Commands;

/// <summary>The augmentation flags (<c>--augment</c>, <c>--rotate</c>, <c>--scale</c>, <c>--shear</c>,
/// <c>--translate</c>, <c>--elastic-sigma</c>, <c>--elastic-alpha</c>) turned into <see cref="AugmentOptions"/>, shared
/// by <c>digits train</c> and <c>digits augment</c>.</summary>
internal static class AugmentFlags
{
    /// <summary>The options for <paramref name="kinds"/> ("affine", "elastic", "affine,elastic", "none" → null) with
    /// each range given or its default.</summary>
    /// <exception cref="UsageException">an unknown kind or a value out of range, naming the flag.</exception>
    public static AugmentOptions? Build(string? kinds, float? rotate, float? scale, float? shear, float? translate,
        float? sigma, float? alpha)
    {
        var defaults = new AugmentOptions();
        var ranges = defaults with
        {
            RotationDegrees = rotate ?? defaults.RotationDegrees,
            Scale = scale ?? defaults.Scale,
            ShearDegrees = shear ?? defaults.ShearDegrees,
            TranslatePixels = translate ?? defaults.TranslatePixels,
            ElasticSigma = sigma ?? defaults.ElasticSigma,
            ElasticAlpha = alpha ?? defaults.ElasticAlpha,
        };
        try
        {
            ranges.Validate();
            return kinds is null ? null : AugmentOptions.Parse(kinds, ranges);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
