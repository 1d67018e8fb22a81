using System.Text.RegularExpressions;
using Digits.Core.Backends;
using Digits.Core.Data;
using Digits.Core.Model;
using Digits.Core.Training;

namespace Digits.Cli;

/// <summary>
/// The one table from the library's names to what a user of the command line types. Core, Cpu, Gpu and Api speak in
/// their own terms ("TrainingOptions.LearningRate must be a positive number, got 0"); every message of theirs that
/// reaches the user passes through <see cref="Speak"/> on its way out ("--lr must be a positive number, got 0").
/// A name is a property (<c>Type.Property</c>), a method's parameter (<c>Type.Method(parameter)</c>) or a method
/// (<c>Type.Method</c>); a test checks that each exists, and that each flag is one a verb takes.
/// </summary>
internal static class FlagNames
{
    public static readonly IReadOnlyList<(string Name, string Flag)> Table =
    [
        (Of<TrainingOptions>(nameof(TrainingOptions.Epochs)), "--epochs"),
        (Of<TrainingOptions>(nameof(TrainingOptions.BatchSize)), "--batch-size"),
        (Of<TrainingOptions>(nameof(TrainingOptions.LearningRate)), "--lr"),
        (Of<TrainingOptions>(nameof(TrainingOptions.Momentum)), "--momentum"),
        (Of<TrainingOptions>(nameof(TrainingOptions.WeightDecay)), "--weight-decay"),
        (Of<TrainingOptions>(nameof(TrainingOptions.StepEpochs)), "--lr-step-epochs"),
        (Of<TrainingOptions>(nameof(TrainingOptions.StepGamma)), "--lr-gamma"),
        (Of<TrainingOptions>(nameof(TrainingOptions.Dropout)), "--dropout"),
        (Of<TrainingOptions>(nameof(TrainingOptions.InputDropout)), "--input-dropout"),
        (Of<TrainingOptions>(nameof(TrainingOptions.MaxNorm)), "--max-norm"),
        (Of<AugmentOptions>(nameof(AugmentOptions.Kinds)), "--augment"),
        (Of<AugmentOptions>(nameof(AugmentOptions.RotationDegrees)), "--rotate"),
        (Of<AugmentOptions>(nameof(AugmentOptions.Scale)), "--scale"),
        (Of<AugmentOptions>(nameof(AugmentOptions.ShearDegrees)), "--shear"),
        (Of<AugmentOptions>(nameof(AugmentOptions.TranslatePixels)), "--translate"),
        (Of<AugmentOptions>(nameof(AugmentOptions.ElasticSigma)), "--elastic-sigma"),
        (Of<AugmentOptions>(nameof(AugmentOptions.ElasticAlpha)), "--elastic-alpha"),
        (Of<MlpSpec>(nameof(MlpSpec.Widths)), "--layers"),
        ($"{nameof(DatasetLoader)}.{nameof(DatasetLoader.Load)}(validationCount)", "--validation"),
        (DataLocator.GivenFolder, "--data"),
        (Of<ImageFolderOptions>(nameof(ImageFolderOptions.SkipBad)), "--skip-bad"),
        ($"{nameof(Checkpoint)}.{nameof(Checkpoint.Load)}", "--resume"),
        ($"{nameof(Checkpoint)}.{nameof(Checkpoint.Save)}", "digits train --checkpoint"),
        ($"{nameof(ModelFile)}.{nameof(ModelFile.Load)}", "--model"),
        ($"{nameof(TorchSequential)}.{nameof(TorchSequential.FromTensors)}(activation)", "digits import --activation"),
    ];

    private static readonly Dictionary<string, string> FlagOf = Table.ToDictionary(row => row.Name, row => row.Flag);

    /// <summary>The flag for a library name in <see cref="Table"/>: "--lr" for "TrainingOptions.LearningRate".</summary>
    /// <exception cref="KeyNotFoundException">the name is not in the table.</exception>
    public static string For(string name) => FlagOf[name];

    /// <summary>The flag for property <paramref name="property"/> of <typeparamref name="T"/>:
    /// <c>For&lt;TrainingOptions&gt;(nameof(TrainingOptions.LearningRate))</c> is "--lr".</summary>
    public static string For<T>(string property) => For(Of<T>(property));

    /// <summary><paramref name="message"/> with every library name of <see cref="Table"/> in it replaced by its flag.
    /// A name counts only whole: "Checkpoint.LoadLatest" is not "Checkpoint.Load".</summary>
    public static string Speak(string message) =>
        message.Contains('.') ? Names.Replace(message, match => FlagOf[match.Value]) : message;

    private static readonly Regex Names = new(
        @"(?<![\w.])(" + string.Join('|', Table.Select(row => Regex.Escape(row.Name))) + @")(?![\w(])",
        RegexOptions.CultureInvariant);

    private static string Of<T>(string property) => $"{typeof(T).Name}.{property}";
}
