using Digits.Cli.Verbs;
using Digits.Core.Data;

namespace Digits.Cli.Commands;

/// <summary>Loading data for a command, with its failures turned into one-line usage/input errors.</summary>
internal static class DataLoading
{
    /// <summary>Loads the splits, reporting download progress to <paramref name="stderr"/>.</summary>
    /// <exception cref="UsageException">the data is missing, malformed or the split is impossible.</exception>
    public static DatasetSplits Load(DatasetSpec spec, string? dataFolder, bool allowDownload, int validation, ulong seed,
        TextWriter stderr, CancellationToken cancel)
    {
        var location = DataLocator.Resolve(dataFolder);
        try
        {
            return DatasetLoader.Load(spec, location, allowDownload, new DownloadReporter(stderr), validation, seed,
                cancel: cancel);
        }
        catch (Exception e) when (e is DataUnavailableException or DataFormatException or IOException)
        {
            throw new UsageException(e.Message);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new UsageException(e.Message.Split(" (Parameter")[0]);
        }
    }
}
