using Digits.Core.Data;
using Digits.Imaging;
using Xunit;

namespace Digits.Tests.Data;

/// <summary>Folder datasets: <see cref="ImageFolderLayout.Scan"/> (classes, files, the errors that name the folder),
/// <see cref="ImageFolderReader"/> (every format, labels by name, bad images, the prepared-image cache) and the
/// stratified hold-out of <see cref="DatasetLoader"/>.</summary>
public sealed class ImageFolderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly IReadOnlySet<string> Images = ImageDecoder.FileExtensions;

    private string Folder(string name) => Directory.CreateDirectory(_dir.File(name)).FullName;

    private static (Dataset Train, Dataset? Test, List<string> Notes) Read(string folder, ImageFolderOptions options)
    {
        var notes = new List<string>();
        var (train, test) = ImageFolderReader.Read(folder, options, notes);
        return (train, test, notes);
    }

    [Fact]
    public void Scan_takes_class_folders_in_ordinal_order_and_passes_over_hidden_and_other_files()
    {
        string root = Folder("ds");
        foreach (string c in (string[])["b", "a", "10", "2"]) _dir.Write($"ds/{c}/x.png", [1]);
        _dir.Write("ds/a/deeper/y.JPG", [1]);
        _dir.Write("ds/a/notes.txt", [1]);
        _dir.Write("ds/a/.hidden.png", [1]);
        _dir.Write("ds/.cache/z.png", [1]);
        var layout = ImageFolderLayout.Scan(root, Images);
        Assert.Equal(["10", "2", "a", "b"], layout.ClassNames);
        Assert.False(layout.Split);
        Assert.Null(layout.Test);
        Assert.Equal(["10/x.png", "2/x.png", "a/deeper/y.JPG", "a/x.png", "b/x.png"], layout.Train.Select(f => f.RelativePath));
        Assert.Equal(["10", "2", "a", "a", "b"], layout.Train.Select(f => f.ClassName));
        Assert.Equal(["a/notes.txt"], layout.Ignored);
    }

    [Fact]
    public void Scan_reads_train_and_test_parts_and_refuses_a_test_class_train_lacks()
    {
        string root = Folder("split");
        _dir.Write("split/Train/0/a.png", [1]);
        _dir.Write("split/Train/1/a.png", [1]);
        _dir.Write("split/test/1/b.png", [1]);
        _dir.Write("split/val/0/c.png", [1]);
        var layout = ImageFolderLayout.Scan(root, Images);
        Assert.True(layout.Split);
        Assert.Equal(["0", "1"], layout.ClassNames);
        Assert.Equal(["Train/0/a.png", "Train/1/a.png"], layout.Train.Select(f => f.RelativePath));
        Assert.Equal(["test/1/b.png"], layout.Test!.Select(f => f.RelativePath));
        Assert.Equal(["val/"], layout.Ignored);

        _dir.Write("split/test/7/c.png", [1]);
        var e = Assert.Throws<DataFormatException>(() => ImageFolderLayout.Scan(root, Images));
        Assert.Equal($"{Path.Combine(root, "test", "7")}: class '7' is in test/ but not in train/ (whose classes are 0, 1)", e.Message);
    }

    [Fact]
    public void Scan_names_the_folder_when_there_are_no_class_folders_or_a_class_is_empty()
    {
        string root = Folder("flat");
        _dir.Write("flat/one.png", [1]);
        _dir.Write("flat/two.jpg", [1]);
        var e = Assert.Throws<DataFormatException>(() => ImageFolderLayout.Scan(root, Images));
        Assert.StartsWith($"{root}: no class folders: a folder dataset needs one sub-folder per class", e.Message);
        Assert.EndsWith("; the 2 image(s) directly in it belong in their class's sub-folder", e.Message);

        e = Assert.Throws<DataFormatException>(() => ImageFolderLayout.Scan(Folder("empty"), Images));
        Assert.DoesNotContain("directly in it", e.Message);

        string classes = Folder("classes");
        _dir.Write("classes/0/a.png", [1]);
        _dir.Write("classes/1/readme.txt", [1]);
        e = Assert.Throws<DataFormatException>(() => ImageFolderLayout.Scan(classes, Images));
        Assert.StartsWith($"{Path.Combine(classes, "1")}: class '1' holds no images (only 1 file(s) that are not images " +
                          "by their name); image files end in .bmp", e.Message);
    }

    [Fact]
    public void A_missing_folder_is_unavailable_and_a_file_is_refused()
    {
        var missing = Assert.Throws<DataUnavailableException>(() => ImageFolderLayout.Scan(_dir.File("nope"), Images));
        Assert.StartsWith($"{_dir.File("nope")} not found", missing.Message);
        string file = _dir.Write("file.png", [1]);
        var e = Assert.Throws<DataFormatException>(() => ImageFolderLayout.Scan(file, Images));
        Assert.Equal($"{file}: is a file; a folder dataset is a folder with one sub-folder of images per class", e.Message);
    }

    [Fact]
    public void Every_format_predict_reads_becomes_the_same_28x28_field_as_predict_makes()
    {
        string root = Folder("formats");
        var files = FolderDatasets.Write(root, [3, 8]);
        var (train, test, _) = Read(root, new ImageFolderOptions(new MnistImagePreparer()));
        Assert.Null(test);
        Assert.Equal(files.Count, train.Count);
        Assert.Equal(["3", "8"], train.ClassNames);
        Assert.Equal(Enumerable.Repeat(0, 21).Concat(Enumerable.Repeat(1, 21)), train.Labels);
        Assert.Equal((28, 28), (train.Height, train.Width));
        var order = files.Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList();
        for (int k = 0; k < files.Count; k++)
            Assert.Equal(MnistPreprocessor.Prepare(ImageDecoder.Decode(Path.Combine(root, order[k]))).Field, train.Image(k).ToArray());
        Assert.Equal(FolderDatasetsFormats, files.Select(Path.GetExtension).Distinct().Order());
    }

    private static readonly string[] FolderDatasetsFormats = [".bmp", ".gif", ".jpg", ".pbm", ".pgm", ".png", ".webp"];

    [Fact]
    public void Class_folders_map_onto_given_class_names_and_a_stray_one_is_refused()
    {
        string root = Folder("subset");
        FolderDatasets.Write(root, [3, 7]);
        string[] digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
        var options = new ImageFolderOptions(new MnistImagePreparer()) { ClassNames = digits, ClassNamesSource = "m.safetensors" };
        var (train, _, _) = Read(root, options);
        Assert.Equal(digits, train.ClassNames);
        Assert.Equal([3, 7], train.Labels.Distinct().Order());

        FolderDatasets.Write(root, [1], _ => "seven");
        var e = Assert.Throws<DataFormatException>(() => Read(root, options));
        Assert.Equal($"{Path.Combine(root, "seven")}: class 'seven' is not one of the classes of m.safetensors " +
                     "(0, 1, 2, 3, 4, 5, 6, 7, 8, 9); class folders are matched to them by name", e.Message);
    }

    [Fact]
    public void An_unreadable_image_fails_naming_the_file_unless_bad_images_are_skipped()
    {
        string root = Folder("bad");
        FolderDatasets.Write(root, [1, 2]);
        string truncated = Path.Combine(root, "1", "font0.png");
        File.WriteAllBytes(truncated, File.ReadAllBytes(truncated)[..60]);
        string text = _dir.Write("bad/2/zz.jpg", "not a jpeg"u8.ToArray());
        string blank = Path.Combine(root, "2", "blank.pgm");
        File.WriteAllBytes(blank, [.. "P5\n8 8\n255\n"u8, .. Enumerable.Repeat((byte)255, 64)]);
        var strict = new ImageFolderOptions(new MnistImagePreparer());
        var e = Assert.Throws<DataFormatException>(() => Read(root, strict));
        Assert.StartsWith($"{truncated}: ", e.Message);
        Assert.EndsWith(" (2 more image(s) cannot be read either; ImageFolderOptions.SkipBad skips unreadable images)", e.Message);

        var (train, _, notes) = Read(root, strict with { SkipBad = true });
        Assert.Equal(44 - 3, train.Count);
        var skipped = notes.Where(n => n.StartsWith("skipped ", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, skipped.Count);
        Assert.StartsWith($"skipped {truncated}: ", skipped[0]);
        Assert.StartsWith($"skipped {blank}: no digit found", skipped[1]);
        Assert.StartsWith($"skipped {text}: not an image this reader knows", skipped[2]);

        foreach (string file in Directory.GetFiles(Path.Combine(root, "1"))) File.WriteAllBytes(file, [0, 1, 2]);
        e = Assert.Throws<DataFormatException>(() => Read(root, strict with { SkipBad = true }));
        Assert.Equal($"{Path.Combine(root, "1")}: none of the 21 image(s) of class '1' could be read (all were skipped)", e.Message);
    }

    [Fact]
    public void Prepared_images_are_cached_and_prepared_again_only_when_their_file_or_the_preparer_changes()
    {
        string root = Folder("cached");
        var files = FolderDatasets.Write(root, [0, 5]);
        var first = new FolderDatasets.CountingPreparer();
        var (fresh, _, notes) = Read(root, new ImageFolderOptions(first));
        Assert.Equal(files.Count, first.Prepared);
        Assert.True(File.Exists(Path.Combine(root, PreparedImageCache.FileName)));
        Assert.Contains(notes, n => n.StartsWith($"prepared {files.Count} image(s) in ", StringComparison.Ordinal));

        var second = new FolderDatasets.CountingPreparer();
        var (cached, _, notes2) = Read(root, new ImageFolderOptions(second));
        Assert.Equal(0, second.Prepared);
        Assert.Equal([$"all {files.Count} images from the cache (.digits-prepared.safetensors)"], notes2);
        Assert.Equal(fresh.Images, cached.Images); // bit for bit
        Assert.Equal(fresh.Labels, cached.Labels);

        File.SetLastWriteTimeUtc(files[3], DateTime.UtcNow.AddMinutes(-5));
        File.Copy(files[0], Path.Combine(root, "5", "added.png"));
        var third = new FolderDatasets.CountingPreparer();
        Read(root, new ImageFolderOptions(third));
        Assert.Equal(2, third.Prepared);

        var other = new FolderDatasets.CountingPreparer("another preprocessing");
        Read(root, new ImageFolderOptions(other));
        Assert.Equal(files.Count + 1, other.Prepared);

        File.WriteAllBytes(Path.Combine(root, PreparedImageCache.FileName), [1, 2, 3]);
        var damaged = new FolderDatasets.CountingPreparer("another preprocessing");
        var (_, _, notes5) = Read(root, new ImageFolderOptions(damaged));
        Assert.Equal(files.Count + 1, damaged.Prepared);
        Assert.Contains(notes5, n => n.StartsWith($"the prepared images' cache {Path.Combine(root, PreparedImageCache.FileName)} " +
                                                  "could not be used (", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_a_test_part_a_seeded_tenth_of_each_class_is_held_out()
    {
        string root = Folder("holdout");
        FolderDatasets.Write(root, [2, 4, 6]);
        var folders = new ImageFolderOptions(new MnistImagePreparer());
        DatasetSplits Load(ulong seed, int validation = 0) => DatasetLoader.Load(new DatasetSpec.Folder(root),
            new DataLocation("/nonexistent", "test"), false, null, validation, seed,
            cancel: TestContext.Current.CancellationToken, folders: folders);
        var splits = Load(1);
        Assert.Equal(($"folder:{root} (10 %)", 6), (splits.Test.Name, splits.Test.Count));
        Assert.Equal([2, 2, 2], splits.Test.Labels.GroupBy(l => l).Select(g => g.Count()));
        Assert.Equal(57, splits.Train.Count);
        Assert.Contains($"held out 6 of 63 images of folder:{root} (10 % of each class, seed 1) as the test set", splits.Notes);
        Assert.Equal(splits.Test.Images, Load(1).Test.Images);
        Assert.NotEqual(splits.Test.Images, Load(2).Test.Images);
        Assert.Equal($"folder:{root} (validation)", Load(1, validation: 5).Validation!.Name);

        var e = Assert.Throws<ArgumentException>(() => DatasetLoader.Load(new DatasetSpec.Folder(root),
            new DataLocation("/nonexistent", "test"), false, null, 0, 1, cancel: TestContext.Current.CancellationToken));
        Assert.StartsWith($"folder:{root} needs ImageFolderOptions", e.Message);
    }

    [Fact]
    public void The_holdout_keeps_every_class_with_two_images_in_both_parts()
    {
        int[] labels = [0, 0, 1, 2, 2, 2, .. Enumerable.Repeat(3, 25)];
        int[] held = DatasetLoader.StratifiedHoldout(labels, 4, 0.1, 3, "test");
        Assert.Equal([0, 2, 3, 3], held.Select(k => labels[k]).Order());
        Assert.Equal(held.Order(), held);
    }

    [Theory]
    [InlineData("folder:photos", "photos")]
    [InlineData("FOLDER:my photos, 2026", "my photos, 2026")]
    public void Folder_specs_parse_with_any_path(string text, string path)
    {
        var spec = Assert.IsType<DatasetSpec.Folder>(DatasetSpec.Parse(text));
        Assert.Equal(path, spec.Path);
        Assert.Equal($"folder:{path}", spec.ToString());
        Assert.Throws<FormatException>(() => DatasetSpec.Parse("folder:"));
    }
}
