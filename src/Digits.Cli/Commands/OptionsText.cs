using System.Globalization;
using Digits.Core.Training;

namespace Digits.Cli.Commands;

/// <summary>How a run's <see cref="TrainingOptions"/> read in the command's lines and in a model's metadata.</summary>
internal static class OptionsText
{
    /// <summary>"1 epoch", "3 epochs".</summary>
    public static string Plural(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    /// <summary>"Adam lr 0.001 (cosine to 0), weight decay 0.0001, dropout 0.5": the update rule, its schedule and the
    /// regularization, as the training line and the model's "optimizer" metadata give them.</summary>
    public static string Describe(TrainingOptions o) => o.Optimizer switch
    {
        OptimizerKind.Sgd => "SGD",
        OptimizerKind.Momentum => $"SGD with momentum {o.Momentum}",
        _ => "Adam",
    } + $" lr {o.LearningRate.ToString(CultureInfo.InvariantCulture)}" + o.Schedule switch
    {
        ScheduleKind.Constant => "",
        ScheduleKind.Step => $" (×{o.StepGamma} every {o.StepEpochs} epochs)",
        _ => " (cosine to 0)",
    } + (o.WeightDecay > 0 ? $", weight decay {o.WeightDecay}" : "") + Regularization(o);

    /// <summary>", dropout 0.5 (input 0.2), max-norm 3.5, augment affine,elastic (rotate ±15°, …)" or "".</summary>
    public static string Regularization(TrainingOptions o)
    {
        string F(float x) => x.ToString(CultureInfo.InvariantCulture);
        var parts = new List<string>();
        if (o.Dropout is not null || o.InputDropout > 0)
            parts.Add($"dropout {(o.Dropout is { } d ? d.ToString() : "0")}" + (o.InputDropout > 0 ? $" (input {F(o.InputDropout)})" : ""));
        if (o.MaxNorm > 0) parts.Add($"max-norm {F(o.MaxNorm)}");
        if (o.Augment is { } a)
        {
            var ranges = new List<string>();
            if (a.Affine)
                ranges.Add($"rotate ±{F(a.RotationDegrees)}°, scale ±{F(a.Scale)}, shear ±{F(a.ShearDegrees)}°, shift ±{F(a.TranslatePixels)} px");
            if (a.Elastic) ranges.Add($"elastic σ {F(a.ElasticSigma)} px, α {F(a.ElasticAlpha)} px");
            parts.Add($"augment {a.Kinds} ({string.Join("; ", ranges)})");
        }
        return parts.Count == 0 ? "" : ", " + string.Join(", ", parts);
    }
}
