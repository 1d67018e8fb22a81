using System.Buffers.Binary;
using System.IO.Compression;
using Digits.Core.Data;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Data;

/// <summary>
/// The real dataset files under <c>$DIGITS_DATA</c>. Tests that need them skip with the reason when DIGITS_DATA is
/// unset (outside CI); a DIGITS_DATA that lacks the files fails the test, as does CI=true without them.
/// </summary>
internal static class RealData
{
    private const string Variable = "DIGITS_DATA";

    /// <summary>The folder holding <paramref name="dataset"/>'s four .gz files, or a skip/failure.</summary>
    public static string Folder(string dataset)
    {
        string? root = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(root))
            DataRoot.Unavailable(DataRoot.NotSetReason);
        string folder = Path.Combine(root!, dataset);
        foreach (string name in DatasetCatalog.FileNames)
            if (!System.IO.File.Exists(Path.Combine(folder, name)))
                DataRoot.Unavailable($"{Path.Combine(folder, name)} not found ({Variable}={root})");
        return folder;
    }

    /// <summary>The data root (<c>$DIGITS_DATA</c>), after checking it holds <paramref name="dataset"/>.</summary>
    public static string Root(string dataset) => Path.GetDirectoryName(Folder(dataset))!;

    public static string File(string dataset, string name) => Path.Combine(Folder(dataset), name);
}

/// <summary>A fresh folder under the system temp folder, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } =
        System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"digits-test-{Guid.NewGuid():N}");

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, byte[] bytes)
    {
        string path = File(name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>Builds IDX files byte by byte, well-formed or deliberately broken.</summary>
internal static class Idx
{
    /// <summary>An images file: magic, (count, rows, cols) header, then <paramref name="payload"/> bytes (by default
    /// exactly count·rows·cols, pixel i = i mod 256).</summary>
    public static byte[] Images(uint count, uint rows = 28, uint cols = 28, long? payload = null,
        uint magic = IdxReader.ImagesMagic)
    {
        long bytes = payload ?? count * rows * cols;
        var data = new byte[16 + bytes];
        BinaryPrimitives.WriteUInt32BigEndian(data, magic);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(4), count);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(8), rows);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(12), cols);
        for (long i = 0; i < bytes; i++) data[16 + i] = (byte)i;
        return data;
    }

    /// <summary>A labels file holding <paramref name="labels"/>; the header claims <paramref name="count"/>
    /// (default: their number).</summary>
    public static byte[] Labels(byte[] labels, uint? count = null, uint magic = IdxReader.LabelsMagic)
    {
        var data = new byte[8 + labels.Length];
        BinaryPrimitives.WriteUInt32BigEndian(data, magic);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(4), count ?? (uint)labels.Length);
        labels.CopyTo(data, 8);
        return data;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(data);
        return output.ToArray();
    }

    public static byte[] Gunzip(string path)
    {
        using var input = new GZipStream(System.IO.File.OpenRead(path), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    public static byte[] Concat(byte[] a, byte[] b) => [.. a, .. b];
}
