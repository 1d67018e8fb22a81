namespace Digits.Core.Data;

/// <summary>
/// A dataset's files are neither on disk nor obtainable: not found where the <see cref="DataLocation"/> points,
/// downloading is off, the host is unreachable, the server answered with an error, or a download failed its
/// checksum. Thrown by <see cref="DatasetLoader"/> with a message that says where it looked (every folder tried),
/// what failed, and how to fix it; thrown by <see cref="Downloader"/> with what failed for one file.
/// </summary>
public sealed class DataUnavailableException : Exception
{
    public DataUnavailableException(string message, Exception? inner = null) : base(message, inner) => Problem = message;

    /// <summary>Files of the catalog dataset <paramref name="dataset"/> are missing: <paramref name="problem"/> says
    /// which, where they were looked for and why they could not be downloaded; the message adds how to fix it.</summary>
    public DataUnavailableException(DatasetInfo dataset, string problem, Exception? inner)
        : base($"{problem} To fix: point {nameof(DataLocator)}.{nameof(DataLocator.Resolve)}(folder) or " +
               $"{DataLocator.EnvironmentVariable} at a folder holding {FolderContents(dataset)}, or download them on a " +
               $"connected machine ({nameof(DatasetLoader)}.{nameof(DatasetLoader.EnsureFiles)} with allowDownload) and " +
               $"copy its {dataset.Folder} folder here.", inner)
    {
        Dataset = dataset;
        Problem = problem;
    }

    /// <summary>The catalog dataset whose files are missing; null for other failures.</summary>
    public DatasetInfo? Dataset { get; }

    /// <summary>What is wrong, without the advice on how to fix it (the whole message when there is none).</summary>
    public string Problem { get; }

    /// <summary>What a data root must hold for <paramref name="dataset"/>: "mnist/train-images-idx3-ubyte.gz (and
    /// train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz)".</summary>
    public static string FolderContents(DatasetInfo dataset) =>
        $"{dataset.Folder}/{DatasetCatalog.TrainImages} (and {string.Join(", ", DatasetCatalog.FileNames.Skip(1))})";
}
