namespace Digits.Core.Data;

/// <summary>One image file of a folder dataset: its path relative to the dataset folder (with '/'), its class (the
/// name of its class folder), and the size and modification time that tell whether a cached preparation is still its
/// own.</summary>
public sealed record ImageFile(string RelativePath, string ClassName, long Bytes, long ModifiedTicks);

/// <summary>
/// What a folder dataset holds, found by <see cref="Scan"/>: torchvision's ImageFolder layout, one sub-folder per class
/// named after it (<c>DIR/0/a.png</c>, <c>DIR/cat/b.jpg</c>; images in folders below a class folder belong to it), or
/// the same under <c>DIR/train</c> with an optional <c>DIR/test</c> (whose classes must be among train's).
/// <see cref="ClassNames"/> are train's class folders in ordinal order, as torchvision sorts them. Hidden files and
/// folders (names starting with '.') are passed over, as are files whose extension the preparer does not read
/// (<see cref="Ignored"/>).
/// </summary>
public sealed record ImageFolderLayout(string Root, bool Split, IReadOnlyList<string> ClassNames,
    IReadOnlyList<ImageFile> Train, IReadOnlyList<ImageFile>? Test, IReadOnlyList<string> Ignored)
{
    /// <summary>The training part's folder name in the split layout.</summary>
    public const string TrainFolder = "train";

    /// <summary>The test part's folder name in the split layout.</summary>
    public const string TestFolder = "test";

    private static readonly EnumerationOptions Visible = new()
    {
        AttributesToSkip = FileAttributes.Hidden | FileAttributes.System, IgnoreInaccessible = false,
        MatchCasing = MatchCasing.CaseSensitive,
    };

    /// <summary>Finds the classes and image files under <paramref name="root"/>.</summary>
    /// <param name="root">The dataset folder.</param>
    /// <param name="extensions">Extensions of image files (<see cref="IImagePreparer.Extensions"/>).</param>
    /// <exception cref="DataUnavailableException"><paramref name="root"/> does not exist.</exception>
    /// <exception cref="DataFormatException">it is a file, holds no class folders, a class folder holds no images, or
    /// test/ has a class train/ lacks; the message names the folder.</exception>
    /// <exception cref="IOException">a folder cannot be listed.</exception>
    public static ImageFolderLayout Scan(string root, IReadOnlySet<string> extensions)
    {
        string full = Path.GetFullPath(root);
        if (File.Exists(full))
            throw new DataFormatException(root, "is a file; a folder dataset is a folder with one sub-folder of images per class");
        if (!Directory.Exists(full))
            throw new DataUnavailableException($"{root} not found (looked at {full}; folder: paths are relative to the working directory)");
        var ignored = new List<string>();
        string? train = Child(full, TrainFolder), test = Child(full, TestFolder);
        if (train is null)
        {
            var (names, files) = Part(full, root, "", extensions, ignored);
            return new ImageFolderLayout(full, false, names, files, null, ignored);
        }
        foreach (string other in Directory.EnumerateDirectories(full, "*", Visible)
                     .Where(d => d != train && d != test))
            ignored.Add(Path.GetFileName(other) + "/");
        string trainName = Path.GetFileName(train), testName = test is null ? TestFolder : Path.GetFileName(test);
        var (classes, trainFiles) = Part(train, Path.Combine(root, trainName), trainName + "/", extensions, ignored);
        if (test is null) return new ImageFolderLayout(full, true, classes, trainFiles, null, ignored);
        var (testClasses, testFiles) = Part(test, Path.Combine(root, testName), testName + "/", extensions, ignored);
        if (testClasses.FirstOrDefault(c => !classes.Contains(c)) is { } stray)
            throw new DataFormatException(Path.Combine(root, testName, stray),
                $"class '{stray}' is in {TestFolder}/ but not in {TrainFolder}/ (whose classes are {List(classes)})");
        return new ImageFolderLayout(full, true, classes, trainFiles, testFiles, ignored);
    }

    /// <summary>"0, 1, 2, … 9" for messages: every name up to 12, else the first 10 and the count.</summary>
    public static string List(IReadOnlyList<string> names) => names.Count <= 12
        ? string.Join(", ", names)
        : $"{string.Join(", ", names.Take(10))}, … ({names.Count} in all)";

    /// <summary>The sub-folder of <paramref name="folder"/> called <paramref name="name"/> in any letter case.</summary>
    private static string? Child(string folder, string name) => Directory.EnumerateDirectories(folder, "*", Visible)
        .FirstOrDefault(d => string.Equals(Path.GetFileName(d), name, StringComparison.OrdinalIgnoreCase));

    /// <summary>One part (the dataset, or its train/ or test/) in <paramref name="folder"/>, which messages call
    /// <paramref name="shown"/>: its class folders in ordinal order and their images.</summary>
    private static (List<string> Classes, List<ImageFile> Files) Part(string folder, string shown, string prefix,
        IReadOnlySet<string> extensions, List<string> ignored)
    {
        var classes = Directory.EnumerateDirectories(folder, "*", Visible).Select(Path.GetFileName).OfType<string>()
            .Order(StringComparer.Ordinal).ToList();
        if (classes.Count == 0)
        {
            int loose = Directory.EnumerateFiles(folder, "*", Visible).Count(f => IsImage(f, extensions));
            throw new DataFormatException(shown, "no class folders: a folder dataset needs one sub-folder per class " +
                "holding its images (0/, 1/, … or cat/, dog/), or train/ and test/ each holding them" +
                (loose > 0 ? $"; the {loose} image(s) directly in it belong in their class's sub-folder" : ""));
        }
        var files = new List<ImageFile>();
        var recursive = new EnumerationOptions
        {
            AttributesToSkip = Visible.AttributesToSkip, IgnoreInaccessible = false, RecurseSubdirectories = true,
        };
        foreach (string name in classes)
        {
            string classFolder = Path.Combine(folder, name);
            int before = files.Count, passedOver = 0;
            foreach (string file in Directory.EnumerateFiles(classFolder, "*", recursive).Order(StringComparer.Ordinal))
            {
                string relative = prefix + Path.GetRelativePath(folder, file).Replace(Path.DirectorySeparatorChar, '/');
                if (!IsImage(file, extensions))
                {
                    ignored.Add(relative);
                    passedOver++;
                    continue;
                }
                var info = new FileInfo(file);
                files.Add(new ImageFile(relative, name, info.Length, info.LastWriteTimeUtc.Ticks));
            }
            if (files.Count == before)
                throw new DataFormatException(Path.Combine(shown, name), $"class '{name}' holds no images" +
                    (passedOver > 0 ? $" (only {passedOver} file(s) that are not images by their name)" : "") +
                    $"; image files end in {string.Join(" ", extensions.Order(StringComparer.Ordinal))}");
        }
        return (classes, files);
    }

    private static bool IsImage(string file, IReadOnlySet<string> extensions) =>
        extensions.Contains(Path.GetExtension(file).ToLowerInvariant());
}
