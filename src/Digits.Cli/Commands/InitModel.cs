using System.Security.Cryptography;
using Digits.Cli.Verbs;
using Digits.Core.Data;
using Digits.Core.Model;
using Digits.Imaging;

namespace Digits.Cli.Commands;

/// <summary>
/// <c>train --init MODEL</c>: the trained model a fine-tuning run starts from — its architecture and weights (the
/// optimizer state starts fresh) — and what the new model's metadata records of it: <c>init_from</c> (the full path)
/// and <c>init_sha256</c> (of the file as it was read).
/// </summary>
internal sealed record InitModel(string Path, string Sha256, MlpModel Model)
{
    private const string Flag = "--init";

    /// <summary>The metadata keys that record where a model's starting weights came from.</summary>
    public static readonly string[] MetadataKeys = ["init_from", "init_sha256"];

    /// <exception cref="UsageException">the file is missing, unreadable or not a Digits model.</exception>
    public static InitModel Load(string path)
    {
        var model = SavedModel.Load(path, Flag);
        string full = System.IO.Path.GetFullPath(path);
        try
        {
            using var stream = File.OpenRead(full);
            return new InitModel(full, Convert.ToHexStringLower(SHA256.HashData(stream)), model);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{Flag}: cannot read {path} ({OutputFile.Reason(e)})");
        }
    }

    /// <summary>Refuses training data the model cannot be fine-tuned on: another image size, or other classes (a
    /// folder's class folders were already matched to the model's names; a named or CSV dataset must have them).</summary>
    /// <exception cref="UsageException">the data does not fit, one line naming both sides.</exception>
    public void RequireFits(Dataset train, DatasetSpec spec)
    {
        string name = System.IO.Path.GetFileName(Path);
        if (Model.Spec.Inputs != train.Features)
            throw new UsageException($"{Flag} {name}: the model ({Model.Spec}) takes {Model.Spec.Inputs} pixels per image " +
                                     $"but {spec} has {train.Features} ({train.Height}×{train.Width})");
        var classes = ClassNames.Of(Model);
        if (!classes.SequenceEqual(train.ClassNames))
            throw new UsageException($"{Flag} {name}: the model's {classes.Length} classes " +
                                     $"({ImageFolderLayout.List(classes)}) are not those of {spec} " +
                                     $"({ImageFolderLayout.List(train.ClassNames)}); fine-tuning keeps the model's classes" +
                                     (NotADigit.IndexIn(classes) >= 0 && NotADigit.IndexIn(train.ClassNames) < 0
                                         ? $" (its '{NotADigit.ClassName}' class comes with --reject-class)" : ""));
    }

    /// <summary>The model to train: the same architecture and a copy of the weights, with none of the old metadata
    /// (the run writes its own).</summary>
    public MlpModel Start() => new(Model.Spec, (float[])Model.Parameters.Clone());

    /// <summary>The metadata entries that record this starting point.</summary>
    public Dictionary<string, string> Provenance() => new() { [MetadataKeys[0]] = Path, [MetadataKeys[1]] = Sha256 };
}
