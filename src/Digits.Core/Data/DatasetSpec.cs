namespace Digits.Core.Data;

/// <summary>
/// A dataset by name: a catalog dataset (<see cref="Named"/>: <c>mnist</c>, <c>fashion-mnist</c>,
/// <c>kmnist</c>), a Kaggle-layout CSV (<see cref="Csv"/>: <c>csv:PATH</c> or <c>csv:PATH,TESTPATH</c>) or a folder of
/// image files with one sub-folder per class (<see cref="Folder"/>: <c>folder:DIR</c>, see <see cref="ImageFolderLayout"/>).
/// <para><c>csv:PATH</c> trains on PATH (header <c>label,pixel0,…,pixel783</c>) and holds out a seeded 10 % of its
/// rows as the test set. <c>csv:PATH,TESTPATH</c> names a second, <b>labelled</b> CSV as the test set instead (Kaggle's
/// own test.csv has no labels, so it cannot be a test set; predict on it instead). Paths are taken as given, relative
/// to the working directory, and may not contain a comma.</para>
/// </summary>
public abstract record DatasetSpec
{
    private DatasetSpec() { }

    /// <summary>The spellings <see cref="Parse"/> accepts, for help text.</summary>
    public const string Syntax = "mnist|fashion-mnist|kmnist|csv:PATH[,TESTPATH]|folder:DIR";

    /// <summary>A catalog dataset, e.g. <see cref="DatasetCatalog.Mnist"/>.</summary>
    public sealed record Named(DatasetInfo Info) : DatasetSpec
    {
        public override string ToString() => Info.Name;
    }

    /// <summary>A labelled CSV to train on, and optionally a labelled CSV to test on.</summary>
    public sealed record Csv(string TrainPath, string? TestPath) : DatasetSpec
    {
        public override string ToString() => TestPath is null ? $"csv:{TrainPath}" : $"csv:{TrainPath},{TestPath}";
    }

    /// <summary>A folder of images, one sub-folder per class (torchvision's ImageFolder layout): <c>DIR/0/*.png …</c>,
    /// or <c>DIR/train/&lt;class&gt;</c> and <c>DIR/test/&lt;class&gt;</c>. The path is taken as given (relative to the
    /// working directory) and may contain commas.</summary>
    public sealed record Folder(string Path) : DatasetSpec
    {
        public override string ToString() => $"folder:{Path}";
    }

    /// <summary>Parses a dataset name (<see cref="Syntax"/>; names are case-insensitive).</summary>
    /// <exception cref="FormatException">an unknown name, a <c>csv:</c> spec with an empty path or more than two
    /// paths, or a <c>folder:</c> spec without a path; the message lists what is accepted.</exception>
    public static DatasetSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.StartsWith("csv:", StringComparison.OrdinalIgnoreCase))
        {
            string[] paths = text[4..].Split(',');
            if (paths.Length > 2 || paths.Any(string.IsNullOrWhiteSpace))
                throw new FormatException($"csv dataset '{text}': expected csv:PATH or csv:PATH,TESTPATH " +
                    "(one or two non-empty paths, no commas inside a path)");
            return new Csv(paths[0], paths.Length == 2 ? paths[1] : null);
        }
        if (text.StartsWith("folder:", StringComparison.OrdinalIgnoreCase))
            return string.IsNullOrWhiteSpace(text[7..])
                ? throw new FormatException($"folder dataset '{text}': expected folder:DIR, a folder with one sub-folder per class")
                : new Folder(text[7..]);
        return DatasetCatalog.Find(text) is { } info ? new Named(info)
            : throw new FormatException($"unknown dataset '{text}'; expected {Syntax}");
    }
}
