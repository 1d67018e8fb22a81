using Digits.Cli.Verbs;
using Digits.Core.Data;
using Digits.Core.Files;
using Digits.Core.Model;
using Digits.Imaging;

namespace Digits.Cli.Commands;

/// <summary>Loading a model file for the verbs that use one (evaluate, predict, report), with its failures as
/// one-line usage errors, and the dataset it goes with.</summary>
internal static class SavedModel
{
    /// <param name="path">The model file.</param>
    /// <param name="flag">The flag that named it, for messages.</param>
    /// <exception cref="UsageException">the file is missing, unreadable or not a Digits model.</exception>
    public static MlpModel Load(string path, string flag = "--model")
    {
        if (Directory.Exists(path))
            throw new UsageException($"{flag}: {path} is a folder; give the model file (e.g. {Path.Combine(path, "model.safetensors")})");
        try
        {
            return ModelFile.Load(path);
        }
        catch (Exception e) when (e is ModelFormatException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException(e switch
            {
                FileNotFoundException or DirectoryNotFoundException => $"{flag}: {path} not found",
                UnauthorizedAccessException => $"{flag}: cannot read {path} (permission denied)",
                ModelFormatException or InputFileException => $"{flag}: {e.Message}",
                _ => $"{flag}: cannot read {path} ({e.Message})",
            });
        }
    }

    /// <summary><paramref name="test"/> as the model's classes name it — with the reject class (<see cref="NotADigit"/>,
    /// no images of it) when the model has one and the data does not — after refusing a model that does not fit it:
    /// another input width than its pixels per image, or another number of outputs than its classes. One line naming
    /// the <c>--model</c> file and both sizes.</summary>
    /// <exception cref="UsageException">the model does not fit.</exception>
    public static Dataset FittedTest(MlpModel model, string modelPath, Dataset test)
    {
        if (NotADigit.IndexIn(ClassNames.Of(model)) >= 0 && NotADigit.IndexIn(test.ClassNames) < 0)
            test = NotADigit.Named(test);
        var problems = new List<string>();
        if (model.Spec.Inputs != test.Features)
            problems.Add($"takes {model.Spec.Inputs} pixels per image but {test.Name} has {test.Features} " +
                         $"({test.Height}×{test.Width})");
        if (model.Spec.Outputs != test.Classes)
            problems.Add($"has {model.Spec.Outputs} output classes but {test.Name} has {test.Classes}");
        if (problems.Count > 0)
            throw new UsageException($"--model {modelPath}: the model ({model.Spec}) {string.Join(", and ", problems)}");
        return test;
    }

    /// <summary>Refuses a model whose input is not the 28×28 image <c>predict</c>'s preprocessing makes.</summary>
    /// <exception cref="UsageException">the model takes another input width.</exception>
    public static void RequireImageInput(MlpModel model, string modelPath, int side)
    {
        if (model.Spec.Inputs != side * side)
            throw new UsageException($"--model {modelPath}: the model ({model.Spec}) takes {model.Spec.Inputs} pixels " +
                                     $"per image but predict feeds it {side}×{side} = {side * side} (MNIST-style preprocessing)");
    }

    /// <summary>Warns on <paramref name="stderr"/> when <c>--dataset</c> names another catalog dataset than the one
    /// the model records it was trained on (its "dataset" metadata): the accuracy is then of a model on data it never
    /// saw, usually near chance. A CSV on either side is not warned about: it may hold any dataset's images (MNIST's
    /// own, in Kaggle's layout), so nothing is known to differ; a folder dataset is exempt either way: its class folders
    /// are matched to the model's class names (a model fine-tuned on a folder of digits, or an MNIST model tried on one,
    /// is not at chance).</summary>
    public static void WarnIfOtherDataset(MlpModel model, string modelPath, DatasetSpec spec, TextWriter stderr)
    {
        if (model.Metadata.GetValueOrDefault("dataset") is not { Length: > 0 } trained) return;
        if (spec is DatasetSpec.Folder || (trained.StartsWith("folder:", StringComparison.OrdinalIgnoreCase) &&
            spec is DatasetSpec.Named named && ClassNames.Of(model).SequenceEqual(named.Info.ClassNames))) return;
        string asked = spec.ToString()!;
        if (spec is not DatasetSpec.Named || DatasetCatalog.Find(trained) is null) return;
        if (string.Equals(trained, asked, StringComparison.OrdinalIgnoreCase)) return;
        stderr.WriteLine(TerminalText.Escape(
            $"digits: warning: {Path.GetFileName(modelPath)} was trained on {trained}, not {asked}; " +
            $"its accuracy on {asked} measures a model on data it never learned (near chance is expected)"));
    }

    /// <summary>The dataset named by <c>--dataset</c>, else the one the model was trained on, else MNIST.</summary>
    /// <exception cref="UsageException">the name is not a dataset.</exception>
    public static DatasetSpec Dataset(MlpModel model, string? flag)
    {
        try
        {
            return DatasetSpec.Parse(flag ?? model.Metadata.GetValueOrDefault("dataset") ?? "mnist");
        }
        catch (FormatException e)
        {
            throw new UsageException($"--dataset: {e.Message}");
        }
    }
}
