using Digits.Core.Files;
using Digits.Core.Training;
using static Digits.Core.Data.DatasetCatalog;

namespace Digits.Core.Data;

/// <summary>The data a run trains and evaluates on: (N, 784) images and (N) labels each, plus what was done to get
/// them (downloads, hold-outs, warnings), one sentence per note, for the CLI to print.</summary>
public sealed record DatasetSplits(Dataset Train, Dataset Test, Dataset? Validation, IReadOnlyList<string> Notes);

/// <summary>The local paths of a named dataset's four files (each .gz or uncompressed), and notes on how they
/// were found (downloaded, found outside the dataset folder, checksum warnings).</summary>
public sealed record DatasetFiles(DatasetInfo Info, string TrainImages, string TrainLabels, string TestImages,
    string TestLabels, IReadOnlyList<string> Notes);

/// <summary>
/// The one entry point the trainer and CLI call to get data: locates (and, if allowed, downloads) a named dataset
/// or reads a CSV, then makes the splits. Named datasets give "&lt;name&gt;/train" (60000) and "&lt;name&gt;/t10k"
/// (10000). <c>csv:PATH</c> alone gives a seeded 10 % of PATH's rows as the test set ("csv:train.csv (10 %)") and the
/// rest as training ("csv:train.csv (90 %)"); <c>csv:PATH,TESTPATH</c> tests on TESTPATH. <c>folder:DIR</c> reads the
/// images with <see cref="ImageFolderReader"/>: its test/ part is the test set, and without one a seeded 10 % of each
/// class (at least one image of every class that has two) is held out ("folder:DIR (10 %)"). A validation count N
/// holds out N training images, chosen by a seeded shuffle, as "&lt;name&gt;/validation"; the rest stay in Train.
/// Both hold-outs use <see cref="SeededRandom.ForPurpose"/>, so the same seed gives the same split on every run
/// and machine, and the two splits never shift each other. Index sets are kept in file order.
/// </summary>
public static class DatasetLoader
{
    /// <summary>Fraction of a lone training CSV held out as the test set.</summary>
    public const double CsvTestFraction = 0.1;

    /// <summary>How messages name the validation count: "DatasetLoader.Load(validationCount)".</summary>
    private const string ValidationSetting = $"{nameof(DatasetLoader)}.{nameof(Load)}(validationCount)";

    internal const string ValidationPurpose = "data: validation split";
    internal const string CsvTestPurpose = "data: csv test holdout";
    internal const string FolderTestPurpose = "data: folder test holdout";

    /// <summary>Loads <paramref name="spec"/> and splits it; see the class summary for the rules.</summary>
    /// <param name="spec">What to load (<see cref="DatasetSpec.Parse"/>).</param>
    /// <param name="location">Where named datasets live (<see cref="DataLocator.Resolve"/>).</param>
    /// <param name="allowDownload">Whether missing files of a named dataset may be downloaded into
    /// <see cref="DataLocation.DownloadFolder"/>.</param>
    /// <param name="progress">Download progress, reported on the calling thread; null for none.</param>
    /// <param name="validationCount">Training images to hold out as validation, 0 for none.</param>
    /// <param name="seed">Seed of the hold-outs.</param>
    /// <param name="downloader">The downloader to use (a default one is made and disposed if null).</param>
    /// <param name="cancel">Cancels a download in progress.</param>
    /// <param name="folders">How to read a <see cref="DatasetSpec.Folder"/> (its image preparer); needed only for one.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="validationCount"/> is negative, or not less
    /// than the training images available.</exception>
    /// <exception cref="ArgumentException">a folder dataset without <paramref name="folders"/>.</exception>
    /// <exception cref="DataUnavailableException">files are missing and cannot be downloaded; the message lists
    /// every folder tried, what failed and how to fix it.</exception>
    /// <exception cref="DataFormatException">a file is malformed.</exception>
    /// <exception cref="IOException">a file exists but cannot be read.</exception>
    public static DatasetSplits Load(DatasetSpec spec, DataLocation location, bool allowDownload,
        IProgress<DownloadProgress>? progress, int validationCount, ulong seed, Downloader? downloader = null,
        CancellationToken cancel = default, ImageFolderOptions? folders = null)
    {
        if (validationCount < 0)
            throw new ArgumentOutOfRangeException(null, $"{ValidationSetting} {validationCount} must be 0 or more");
        var notes = new List<string>();
        (Dataset train, Dataset test) = spec switch
        {
            DatasetSpec.Named named => LoadNamed(named.Info, location, allowDownload, progress, downloader, notes,
                cancel),
            DatasetSpec.Csv csv => LoadCsv(csv, seed, notes),
            DatasetSpec.Folder folder => LoadFolder(folder, folders ?? throw new ArgumentException(
                $"{spec} needs {nameof(ImageFolderOptions)} to read its images", nameof(folders)), seed, notes),
            _ => throw new ArgumentException($"unknown dataset spec {spec}", nameof(spec)),
        };
        if (validationCount >= train.Count)
            throw new ArgumentOutOfRangeException(null,
                $"{ValidationSetting} {validationCount} must be less than the {train.Count} training images of {train.Name}");
        Dataset? validation = null;
        if (validationCount > 0)
        {
            var (held, kept) = SplitIndices(train.Count, validationCount, seed, ValidationPurpose);
            notes.Add($"held out {validationCount} of {train.Count} training images of {train.Name} (seed {seed}) " +
                "as the validation set");
            validation = train.Subset(held, ValidationName(spec, train));
            train = train.Subset(kept, train.Name);
        }
        return new DatasetSplits(train, test, validation, notes);
    }

    /// <summary>Finds <paramref name="info"/>'s four files under <paramref name="location"/>, downloading the
    /// missing ones when <paramref name="allowDownload"/> (what <c>digits download</c> calls). Files already there
    /// under their .gz name are checked against the catalog checksum; a mismatch is a warning note, not an error
    /// (the IDX reader still validates the contents).</summary>
    /// <exception cref="DataUnavailableException">as <see cref="Load"/>.</exception>
    public static DatasetFiles EnsureFiles(DatasetInfo info, DataLocation location, bool allowDownload,
        IProgress<DownloadProgress>? progress = null, Downloader? downloader = null,
        CancellationToken cancel = default)
    {
        var notes = new List<string>();
        var paths = FileNames.ToDictionary(name => name, name => location.Find(info, name));
        var missing = paths.Where(p => p.Value is null).Select(p => p.Key).ToList();
        string home = location.DownloadFolder(info);
        var outside = paths.Values.Where(p => p is not null && Path.GetDirectoryName(p) != home).ToList();
        if (outside.Count > 0)
            notes.Add($"using {string.Join(", ", outside.Select(Path.GetFileName))} from {location.Root} itself " +
                $"rather than from {home}");
        foreach (var (name, path) in paths)
        {
            if (path is null) continue;
            if (path.EndsWith(".gz", StringComparison.Ordinal) && Checksums.OfFile(path, info.ChecksumKind) is var got
                && got != info.File(name).Checksum)
                notes.Add($"warning: {path} does not match {info.Name}'s published {info.ChecksumName} (expected " +
                    $"{info.File(name).Checksum}, got {got}); using it anyway since it is checked as IDX when read — " +
                    $"if it is not {info.Name}'s {name}, delete it and it will be downloaded again");
        }
        if (missing.Count > 0)
        {
            if (!allowDownload) throw Unavailable(info, location, missing, "Downloading is turned off", null);
            var own = downloader is null ? new Downloader() : null;
            string folder = location.DownloadFolder(info);
            try
            {
                foreach (string name in missing)
                {
                    string path;
                    try { path = (downloader ?? own!).Download(info, name, folder, progress, cancel); }
                    catch (DataUnavailableException ex) { throw Unavailable(info, location, missing, ex.Message, ex); }
                    paths[name] = path;
                    notes.Add($"downloaded {info.UrlOf(name)} to {path} ({info.ChecksumName} verified)");
                }
            }
            finally { own?.Dispose(); }
        }
        return new DatasetFiles(info, paths[TrainImages]!, paths[TrainLabels]!, paths[TestImages]!,
            paths[TestLabels]!, notes);
    }

    /// <summary>Splits 0..count−1 by a seeded shuffle into <paramref name="held"/> indices and the rest, each sorted.
    /// </summary>
    internal static (int[] Held, int[] Kept) SplitIndices(int count, int held, ulong seed, string purpose)
    {
        int[] order = SeededRandom.ForPurpose(seed, purpose).Permutation(count);
        int[] heldOut = order[..held], kept = order[held..];
        Array.Sort(heldOut);
        Array.Sort(kept);
        return (heldOut, kept);
    }

    private static (Dataset, Dataset) LoadNamed(DatasetInfo info, DataLocation location, bool allowDownload,
        IProgress<DownloadProgress>? progress, Downloader? downloader, List<string> notes, CancellationToken cancel)
    {
        var files = EnsureFiles(info, location, allowDownload, progress, downloader, cancel);
        notes.AddRange(files.Notes);
        return (IdxReader.ReadPair(files.TrainImages, files.TrainLabels, $"{info.Name}/train", info.ClassNames),
            IdxReader.ReadPair(files.TestImages, files.TestLabels, $"{info.Name}/t10k", info.ClassNames));
    }

    private static (Dataset, Dataset) LoadCsv(DatasetSpec.Csv csv, ulong seed, List<string> notes)
    {
        string trainPath = RequireFile(csv.TrainPath);
        string file = Path.GetFileName(trainPath);
        if (csv.TestPath is { } testPath)
            return (CsvDigitReader.Read(trainPath), CsvDigitReader.Read(RequireFile(testPath)));
        var all = CsvDigitReader.Read(trainPath);
        if (all.Count < 2)
            throw new DataFormatException(trainPath, $"{all.Count} image row(s) are too few to hold out a test set; " +
                "name a labelled test CSV with csv:PATH,TESTPATH");
        int held = Math.Max(1, (int)Math.Round(all.Count * CsvTestFraction));
        var (test, train) = SplitIndices(all.Count, held, seed, CsvTestPurpose);
        notes.Add($"held out {held} of {all.Count} rows of {file} ({CsvTestFraction:P0}, seed {seed}) as the test set");
        return (all.Subset(train, $"csv:{file} (90 %)"), all.Subset(test, $"csv:{file} (10 %)"));
    }

    private static (Dataset, Dataset) LoadFolder(DatasetSpec.Folder folder, ImageFolderOptions options, ulong seed,
        List<string> notes)
    {
        var (all, test) = ImageFolderReader.Read(folder.Path, options, notes);
        if (test is not null) return (all, test);
        int[] held = StratifiedHoldout(all.Labels, all.Classes, CsvTestFraction, seed, FolderTestPurpose);
        if (held.Length == 0)
            throw new DataFormatException(folder.Path, $"{all.Count} image(s), no class with two, are too few to hold " +
                $"out a test set; add more, or put test images in {ImageFolderLayout.TestFolder}/<class>/");
        int[] kept = Enumerable.Range(0, all.Count).Except(held).ToArray();
        notes.Add($"held out {held.Length} of {all.Count} images of {all.Name} ({CsvTestFraction:P0} of each class, " +
                  $"seed {seed}) as the test set");
        return (all.Subset(kept, $"{all.Name} (90 %)"), all.Subset(held, $"{all.Name} (10 %)"));
    }

    /// <summary>A seeded hold-out of <paramref name="fraction"/> of each class (rounded, at least one of a class with
    /// two or more, never a class's last image), as sorted indices: a small dataset's test set then has every class.
    /// </summary>
    internal static int[] StratifiedHoldout(int[] labels, int classes, double fraction, ulong seed, string purpose)
    {
        var counts = new int[classes];
        foreach (int label in labels) counts[label]++;
        int[] want = counts.Select(n => n < 2 ? 0 : Math.Clamp((int)Math.Round(n * fraction), 1, n - 1)).ToArray();
        var held = new List<int>();
        foreach (int k in SeededRandom.ForPurpose(seed, purpose).Permutation(labels.Length))
            if (want[labels[k]] > 0)
            {
                want[labels[k]]--;
                held.Add(k);
            }
        held.Sort();
        return [.. held];
    }

    private static string ValidationName(DatasetSpec spec, Dataset train) => spec is DatasetSpec.Named named
        ? $"{named.Info.Name}/validation" : $"{(train.Name.EndsWith(" (90 %)", StringComparison.Ordinal) ? train.Name[..^7] : train.Name)} (validation)";

    private static string RequireFile(string path)
    {
        string full = Path.GetFullPath(path);
        return FileChecks.KindOf(full) != FileKind.Missing ? full : throw new DataUnavailableException(
            $"{path} not found (looked at {full}; csv: paths are relative to the working directory)");
    }

    private static DataUnavailableException Unavailable(DatasetInfo info, DataLocation location,
        IReadOnlyList<string> missing, string failure, Exception? inner)
    {
        string folders = string.Join(" and ", location.FoldersFor(info));
        return new DataUnavailableException(info, $"{info.Name}: {string.Join(", ", missing)} not found. Looked in " +
            $"{folders} (data root from {location.Source}), for each file with and without .gz. " +
            $"{char.ToUpperInvariant(failure[0])}{failure[1..]}.", inner);
    }
}
