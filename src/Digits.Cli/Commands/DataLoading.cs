using Digits.Cli.Verbs;
using Digits.Core.Data;
using Digits.Core.Model;
using Digits.Imaging;

namespace Digits.Cli.Commands;

/// <summary>Loading data for a command, with its failures turned into one-line usage/input errors.</summary>
internal static class DataLoading
{
    /// <summary>Loads the splits, reporting download progress to <paramref name="stderr"/>.</summary>
    /// <exception cref="UsageException">the data is missing, malformed or the split is impossible (the message may
    /// name the library's properties, which <see cref="FlagNames.Speak"/> turns into flags).</exception>
    public static DatasetSplits Load(DatasetSpec spec, string? dataFolder, bool allowDownload, int validation, ulong seed,
        TextWriter stderr, CancellationToken cancel, ImageFolderOptions? folders = null)
    {
        var location = DataLocator.Resolve(dataFolder);
        try
        {
            return DatasetLoader.Load(spec, location, allowDownload, new DownloadReporter(stderr), validation, seed,
                cancel: cancel, folders: folders ?? Folders(skipBad: false));
        }
        catch (DataUnavailableException e)
        {
            throw new UsageException(Explain(e));
        }
        catch (Exception e) when (e is DataFormatException or IOException or ArgumentOutOfRangeException)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>The splits with the reject class of <c>--reject-class</c> (<see cref="NotADigit.With"/>).</summary>
    /// <exception cref="UsageException">the dataset's images are not 28×28 digits, or it has the class already.</exception>
    public static DatasetSplits WithRejectClass(DatasetSplits data, ulong seed)
    {
        try
        {
            return NotADigit.With(data, seed);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--reject-class: {e.Message}");
        }
    }

    /// <summary>How a <c>folder:DIR</c> dataset is read: predict's decoding and clean-up of every image, the bad ones
    /// skipped when <paramref name="skipBad"/>, the class folders matched to <paramref name="model"/>'s class names when
    /// a model is given (evaluate, report, train --init).</summary>
    public static ImageFolderOptions Folders(bool skipBad, MlpModel? model = null, string? modelPath = null) =>
        new(new MnistImagePreparer())
        {
            SkipBad = skipBad, ClassNames = model is null ? null : ClassNames.Of(model),
            ClassNamesSource = modelPath is null ? null : Path.GetFileName(modelPath),
        };

    /// <summary>What is missing and how to fix it from the command line (a catalog dataset's files: the
    /// <c>--data</c> folder, or <c>digits download</c> on another machine).</summary>
    public static string Explain(DataUnavailableException e) => e.Dataset is not { } info ? e.Message
        : $"{e.Problem} To fix: point {FlagNames.For(DataLocator.GivenFolder)} DIR or {DataLocator.EnvironmentVariable} " +
          $"at a folder holding {DataUnavailableException.FolderContents(info)}, or run `digits download {info.Name}` on a " +
          $"connected machine and copy its {info.Folder} folder here.";
}
