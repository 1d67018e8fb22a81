using System.Globalization;
using System.Text.Json;
using Digits.Core.Model;

namespace Digits.Core.Data;

/// <summary>
/// The prepared images of a folder dataset, kept in the folder as the hidden file <see cref="FileName"/> so that a
/// second run does not decode them again. It is a safetensors file: tensor "images" (N, H·W) float32, exactly what the
/// preparer returned, and metadata naming the preparer's <see cref="IImagePreparer.Version"/>, the image size and, row
/// by row, each source file's relative path, size in bytes and modification time. An image is taken from the cache
/// only when all of those still match; anything else (a changed, new or renamed file, another preparer) is prepared
/// afresh. The file is written atomically (<see cref="SafeTensors.Write"/>), so two runs at once leave one whole cache.
/// Why in the dataset's folder: it goes (and is deleted) with the images it describes, needs no key for the folder's
/// path, and keeps two copies of a dataset apart; a folder that cannot be written is used without a cache.
/// </summary>
internal sealed class PreparedImageCache
{
    /// <summary>The cache's file name in the dataset folder (hidden: the scan passes it over).</summary>
    public const string FileName = ".digits-prepared.safetensors";

    private const string Format = "digits-prepared-images/1";

    private readonly Dictionary<string, (long Bytes, long Ticks, float[] Pixels)> _entries = new(StringComparer.Ordinal);

    /// <summary>Images in the cache.</summary>
    public int Count => _entries.Count;

    /// <summary>The cached pixels of <paramref name="file"/>, when its size and time are those it was prepared from.
    /// </summary>
    public float[]? Find(ImageFile file) =>
        _entries.TryGetValue(file.RelativePath, out var e) && e.Bytes == file.Bytes && e.Ticks == file.ModifiedTicks
            ? e.Pixels : null;

    /// <summary>Reads the cache of <paramref name="root"/> made by <paramref name="preparer"/>'s version; an empty one
    /// when there is none, and a note when it could not be used.</summary>
    public static PreparedImageCache Load(string root, IImagePreparer preparer, List<string> notes)
    {
        var cache = new PreparedImageCache();
        string path = Path.Combine(root, FileName);
        if (!File.Exists(path)) return cache;
        try
        {
            var (tensors, meta) = SafeTensors.Read(path);
            if (meta.GetValueOrDefault("format") != Format || meta.GetValueOrDefault("preparation") != preparer.Version ||
                meta.GetValueOrDefault("size") != Size(preparer))
                return cache; // another version's: everything is prepared again and the cache replaced
            var files = JsonSerializer.Deserialize<List<JsonElement[]>>(meta.GetValueOrDefault("files") ?? "[]") ?? [];
            int features = preparer.Height * preparer.Width;
            if (tensors is not [{ Name: "images" } images] || images.Data.Length != (long)files.Count * features)
                throw new ModelFormatException(path, "its images do not match its list of files");
            for (int k = 0; k < files.Count; k++)
                cache._entries[files[k][0].GetString()!] = (files[k][1].GetInt64(), files[k][2].GetInt64(),
                    images.Data.AsSpan(k * features, features).ToArray());
        }
        catch (Exception e) when (e is ModelFormatException or JsonException or InvalidOperationException
                                      or IndexOutOfRangeException or IOException or UnauthorizedAccessException)
        {
            notes.Add($"the prepared images' cache {path} could not be used ({e.Message}); preparing the images again");
            cache._entries.Clear();
        }
        return cache;
    }

    /// <summary>Writes the cache of <paramref name="root"/>: <paramref name="prepared"/> in the order given. A folder
    /// that cannot take it gets a note instead; the run goes on.</summary>
    public static void Save(string root, IImagePreparer preparer, IReadOnlyList<(ImageFile File, float[] Pixels)> prepared,
        List<string> notes)
    {
        string path = Path.Combine(root, FileName);
        if (prepared.Count == 0) return;
        int features = preparer.Height * preparer.Width;
        var images = new float[(long)prepared.Count * features];
        for (int k = 0; k < prepared.Count; k++) prepared[k].Pixels.CopyTo(images.AsSpan(k * features, features));
        string files = JsonSerializer.Serialize(prepared.Select(p => new object[]
            { p.File.RelativePath, p.File.Bytes, p.File.ModifiedTicks }));
        if (files.Length > SafeTensors.MaxMetadataBytes / 2)
        {
            notes.Add($"{prepared.Count} images are more than the cache {path} lists; they will be prepared again next time");
            return;
        }
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format, ["preparation"] = preparer.Version, ["size"] = Size(preparer), ["files"] = files,
        };
        try
        {
            SafeTensors.Write(path, [new NamedTensor("images", [prepared.Count, features], images)], metadata);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            notes.Add($"could not save the prepared images to {path} ({OutputFile.Reason(e)}); they will be prepared " +
                      "again next time");
        }
    }

    private static string Size(IImagePreparer preparer) =>
        string.Create(CultureInfo.InvariantCulture, $"{preparer.Height}x{preparer.Width}");
}
