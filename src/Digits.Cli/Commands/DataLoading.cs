using Digits.Cli.Verbs;
using Digits.Core.Data;

namespace Digits.Cli.Commands;

/// <summary>Loading data for a command, with its failures turned into one-line usage/input errors.</summary>
internal static class DataLoading
{
    /// <summary>Loads the splits, reporting download progress to <paramref name="stderr"/>.</summary>
    /// <exception cref="UsageException">the data is missing, malformed or the split is impossible (the message may
    /// name the library's properties, which <see cref="FlagNames.Speak"/> turns into flags).</exception>
    public static DatasetSplits Load(DatasetSpec spec, string? dataFolder, bool allowDownload, int validation, ulong seed,
        TextWriter stderr, CancellationToken cancel)
    {
        var location = DataLocator.Resolve(dataFolder);
        try
        {
            return DatasetLoader.Load(spec, location, allowDownload, new DownloadReporter(stderr), validation, seed,
                cancel: cancel);
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

    /// <summary>What is missing and how to fix it from the command line (a catalog dataset's files: the
    /// <c>--data</c> folder, or <c>digits download</c> on another machine).</summary>
    public static string Explain(DataUnavailableException e) => e.Dataset is not { } info ? e.Message
        : $"{e.Problem} To fix: point {FlagNames.For(DataLocator.GivenFolder)} DIR or {DataLocator.EnvironmentVariable} " +
          $"at a folder holding {DataUnavailableException.FolderContents(info)}, or run `digits download {info.Name}` on a " +
          $"connected machine and copy its {info.Folder} folder here.";
}
