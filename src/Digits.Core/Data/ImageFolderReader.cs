using System.Diagnostics;
using Digits.Core.Model;

namespace Digits.Core.Data;

/// <summary>How <see cref="ImageFolderReader"/> reads a folder dataset.</summary>
/// <param name="Preparer">Turns each image file into (H·W) pixels (Digits.Imaging's <c>MnistImagePreparer</c>).</param>
public sealed record ImageFolderOptions(IImagePreparer Preparer)
{
    /// <summary>Leave out (with a note each) the images that cannot be read or prepared, instead of failing on the
    /// first of them.</summary>
    public bool SkipBad { get; init; }

    /// <summary>The classes to map the class folders onto, by name (a trained model's, when it is evaluated or
    /// fine-tuned): labels are indices into this list, every class folder must be in it, and classes without a folder
    /// simply have no images. Null: the class folders themselves, in ordinal order.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>Whose classes <see cref="ClassNames"/> are, for messages ("model.safetensors").</summary>
    public string? ClassNamesSource { get; init; }
}

/// <summary>
/// Reads a folder dataset (<see cref="ImageFolderLayout"/>): every image prepared by the options' preparer — the same
/// clean-up <c>predict</c> gives a photo — in parallel, or taken from the folder's <see cref="PreparedImageCache"/> when
/// its file has not changed since. Returns the training part (the whole dataset in the flat layout) and the test part
/// when there is one; the caller holds out a test set otherwise (<see cref="DatasetLoader"/>).
/// </summary>
public static class ImageFolderReader
{
    /// <summary>Skipped files listed one by one in the notes before the rest are counted.</summary>
    private const int ListedSkips = 20;

    /// <summary>Scans, prepares (or finds in the cache) and labels the images of <paramref name="folder"/>.</summary>
    /// <param name="folder">The dataset folder, as the user gave it (messages name files under it).</param>
    /// <param name="options">The preparer, whether to skip bad images, the classes to map onto.</param>
    /// <param name="notes">Receives one sentence per thing worth telling (files passed over or skipped, the cache).</param>
    /// <exception cref="DataUnavailableException">the folder does not exist.</exception>
    /// <exception cref="DataFormatException">the layout is wrong (see <see cref="ImageFolderLayout.Scan"/>), a class
    /// folder is not one of <see cref="ImageFolderOptions.ClassNames"/>, an image cannot be read or prepared (without
    /// <see cref="ImageFolderOptions.SkipBad"/>), or every image of a class was skipped.</exception>
    public static (Dataset Train, Dataset? Test) Read(string folder, ImageFolderOptions options, List<string> notes)
    {
        var preparer = options.Preparer;
        var layout = ImageFolderLayout.Scan(folder, preparer.Extensions);
        var classes = options.ClassNames ?? layout.ClassNames;
        foreach (string stray in layout.ClassNames.Where(c => !classes.Contains(c)))
            throw new DataFormatException(Path.Combine(folder, layout.Split ? ImageFolderLayout.TrainFolder : "", stray),
                $"class '{stray}' is not one of the classes of {options.ClassNamesSource ?? "the model"} " +
                $"({ImageFolderLayout.List(classes)}); class folders are matched to them by name");
        if (layout.Ignored.Count > 0)
            notes.Add($"passed over {layout.Ignored.Count} file(s) or folder(s) that are not images or classes " +
                      $"({string.Join(", ", layout.Ignored.Take(3))}{(layout.Ignored.Count > 3 ? ", …" : "")})");
        var files = layout.Train.Concat(layout.Test ?? []).ToList();
        var pixels = Prepare(folder, layout, files, options, notes);
        string name = $"folder:{folder.TrimEnd('/', Path.DirectorySeparatorChar)}";
        string trainFolder = layout.Split ? Path.Combine(folder, ImageFolderLayout.TrainFolder) : folder;
        var train = Build(layout.Train, pixels.AsSpan(0, layout.Train.Count), classes, trainFolder, preparer,
            layout.Test is null ? name : $"{name}/{ImageFolderLayout.TrainFolder}");
        var test = layout.Test is null ? null
            : Build(layout.Test, pixels.AsSpan(layout.Train.Count), classes, Path.Combine(folder, ImageFolderLayout.TestFolder),
                preparer, $"{name}/{ImageFolderLayout.TestFolder}");
        return (train, test);
    }

    /// <summary>Each file's pixels (null where it was skipped), from the cache or prepared now in parallel; the cache
    /// is rewritten when anything changed.</summary>
    private static float[]?[] Prepare(string folder, ImageFolderLayout layout, List<ImageFile> files,
        ImageFolderOptions options, List<string> notes)
    {
        var cache = PreparedImageCache.Load(layout.Root, options.Preparer, notes);
        var pixels = files.Select(cache.Find).ToArray();
        var errors = new DataFormatException?[files.Count];
        int[] missing = Enumerable.Range(0, files.Count).Where(k => pixels[k] is null).ToArray();
        var clock = Stopwatch.StartNew();
        Parallel.ForEach(missing, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(Environment.ProcessorCount, 8) },
            k =>
            {
                string path = Path.Combine(folder, files[k].RelativePath);
                try
                {
                    pixels[k] = options.Preparer.Prepare(path);
                }
                catch (DataFormatException e)
                {
                    errors[k] = e;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    errors[k] = new DataFormatException(path, $"cannot read it ({OutputFile.Reason(e)})", e);
                }
            });
        int bad = errors.Count(e => e is not null);
        if (missing.Length - bad > 0 || cache.Count != files.Count - missing.Length)
            PreparedImageCache.Save(layout.Root, options.Preparer,
                files.Zip(pixels).Where(p => p.Second is not null).Select(p => (p.First, p.Second!)).ToList(), notes);
        if (missing.Length > 0)
            notes.Add($"prepared {missing.Length - bad} image(s) in {clock.Elapsed.TotalSeconds:0.0} s" +
                      (bad > 0 ? $" ({bad} could not be)" : "") +
                      (missing.Length < files.Count ? $", took {files.Count - missing.Length} from the cache" : ""));
        else
            notes.Add($"all {files.Count} images from the cache ({PreparedImageCache.FileName})");
        if (bad == 0) return pixels;
        var failed = errors.OfType<DataFormatException>().ToList();
        if (!options.SkipBad)
            throw new DataFormatException(failed[0].FilePath, failed[0].Problem +
                $" ({(bad > 1 ? $"{bad - 1} more image(s) cannot be read either; " : "")}" +
                $"{nameof(ImageFolderOptions)}.{nameof(ImageFolderOptions.SkipBad)} skips unreadable images)", failed[0]);
        foreach (var e in failed.Take(ListedSkips)) notes.Add($"skipped {e.Message}");
        if (bad > ListedSkips) notes.Add($"skipped {bad - ListedSkips} more unreadable image(s)");
        return pixels;
    }

    /// <summary>The dataset of <paramref name="part"/>, whose prepared pixels are <paramref name="pixels"/> (null where
    /// skipped), labelled by class name; a class all of whose images were skipped is refused.</summary>
    private static Dataset Build(IReadOnlyList<ImageFile> part, ReadOnlySpan<float[]?> pixels, IReadOnlyList<string> classes,
        string partFolder, IImagePreparer preparer, string name)
    {
        int features = preparer.Height * preparer.Width;
        var index = classes.Select((c, k) => (c, k)).ToDictionary(p => p.c, p => p.k, StringComparer.Ordinal);
        var total = new Dictionary<string, int>(StringComparer.Ordinal);
        var images = new List<float[]>(part.Count);
        var labels = new List<int>(part.Count);
        for (int k = 0; k < part.Count; k++)
        {
            total[part[k].ClassName] = total.GetValueOrDefault(part[k].ClassName) + 1;
            if (pixels[k] is not { } p) continue;
            images.Add(p);
            labels.Add(index[part[k].ClassName]);
        }
        foreach (var (className, count) in total)
            if (!labels.Contains(index[className]))
                throw new DataFormatException(Path.Combine(partFolder, className),
                    $"none of the {count} image(s) of class '{className}' could be read (all were skipped)");
        var flat = new float[(long)images.Count * features];
        for (int j = 0; j < images.Count; j++) images[j].CopyTo(flat.AsSpan(j * features, features));
        return new Dataset(name, classes, preparer.Height, preparer.Width, flat, [.. labels]);
    }
}
