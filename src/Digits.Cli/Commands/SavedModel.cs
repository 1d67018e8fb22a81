using Digits.Cli.Verbs;
using Digits.Core.Data;
using Digits.Core.Model;

namespace Digits.Cli.Commands;

/// <summary>Loading a model file for the verbs that use one (evaluate, predict, report), with its failures as
/// one-line usage errors, and the dataset it goes with.</summary>
internal static class SavedModel
{
    /// <exception cref="UsageException">the file is missing, unreadable or not a Digits model.</exception>
    public static MlpModel Load(string path)
    {
        try
        {
            return ModelFile.Load(path);
        }
        catch (Exception e) when (e is ModelFormatException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException(e is FileNotFoundException ? $"--model: {path} not found" : e.Message);
        }
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
