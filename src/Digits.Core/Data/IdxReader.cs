using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Digits.Core.Files;

namespace Digits.Core.Data;

/// <summary>
/// Reads MNIST-layout IDX files (MNIST, Fashion-MNIST, KMNIST), gzip-compressed or raw — gzip is recognised by its
/// 0x1f 0x8b magic, not by the file name. Images: magic 0x00000803, header (count, 28, 28) as big-endian uint32,
/// then count·784 unsigned bytes, returned as (N, 784) float32 = byte/255 in [0, 1]. Labels: magic 0x00000801,
/// header (count), then count bytes, each below the number of classes.
/// <para>Every check fails with a <see cref="DataFormatException"/> naming the file and the problem: wrong magic,
/// image size other than 28×28, a file that ends inside the header or the payload, bytes after the payload, a
/// header count above <see cref="MaxImages"/>, labels out of range, image and label counts that differ. A header
/// that claims more data than the file can hold is refused before the payload is allocated (raw files: by their
/// length; gzip: by deflate's 1032:1 limit, then by reading in 1 MiB chunks and failing where the stream ends),
/// so a corrupt or hostile header never causes a large allocation.</para>
/// </summary>
public static class IdxReader
{
    /// <summary>IDX magic of 3-dimensional unsigned-byte data (images).</summary>
    public const uint ImagesMagic = 0x00000803;

    /// <summary>IDX magic of 1-dimensional unsigned-byte data (labels).</summary>
    public const uint LabelsMagic = 0x00000801;

    /// <summary>Image height and width, in pixels; other sizes are refused.</summary>
    public const int Side = 28;

    /// <summary>Pixels per image, I = 784.</summary>
    public const int PixelsPerImage = Side * Side;

    /// <summary>The most images (or labels) a header may claim: what one (N, 784) float array can hold,
    /// <see cref="Array.MaxLength"/> / 784 = 2,739,137. A larger count is refused as absurd before any reading.
    /// </summary>
    public static readonly int MaxImages = Array.MaxLength / PixelsPerImage;

    private static readonly float[] ByteToUnit = Enumerable.Range(0, 256).Select(b => b / 255f).ToArray();

    /// <summary>Reads an images file: pixels (N, 28·28) in [0, 1].</summary>
    /// <exception cref="DataFormatException">the file is not a well-formed 28×28 IDX images file.</exception>
    /// <exception cref="IOException">the file cannot be opened or read (e.g. <see cref="FileNotFoundException"/>).
    /// </exception>
    public static ImageSet ReadImages(string path)
    {
        using var stream = OpenFile(path);
        return ReadImages(stream, path, null);
    }

    /// <summary>As <see cref="ReadImages(string)"/>, from a readable, seekable stream read from its current
    /// position; <paramref name="name"/> names it in error messages. The stream is left open.</summary>
    /// <exception cref="ArgumentException">the stream is not readable and seekable.</exception>
    public static ImageSet ReadImages(Stream stream, string name) => ReadImages(stream, name, null);

    /// <summary>Reads a labels file: (N) labels, each in [0, <paramref name="classes"/>).</summary>
    /// <exception cref="DataFormatException">the file is not a well-formed IDX labels file, or a label is
    /// ≥ <paramref name="classes"/>.</exception>
    /// <exception cref="IOException">the file cannot be opened or read.</exception>
    public static int[] ReadLabels(string path, int classes = 10)
    {
        using var stream = OpenFile(path);
        return ReadLabels(stream, path, classes);
    }

    /// <summary>As <see cref="ReadLabels(string, int)"/>, from a readable, seekable stream.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not in 1..256.</exception>
    public static int[] ReadLabels(Stream stream, string name, int classes = 10)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(classes, 256);
        using var input = new IdxInput(stream, name);
        Span<byte> header = stackalloc byte[8];
        input.ReadHeader(header, LabelsMagic, "labels");
        uint count = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
        if (count > MaxImages)
            throw input.Error(
                $"header claims {count} labels; more than {MaxImages} is refused as absurd (a corrupt header?)");
        var chunks = input.ReadPayload(count, $"{count} labels ({count} bytes)");
        var labels = new int[count]; // only once the data has shown it holds them
        int at = 0;
        foreach (byte[] chunk in chunks)
            foreach (byte b in chunk)
            {
                if (b >= classes)
                    throw input.Error($"label {b} at index {at} is outside 0..{classes - 1}");
                labels[at++] = b;
            }
        return labels;
    }

    /// <summary>Reads an images file and its labels file into a <see cref="Dataset"/> named
    /// <paramref name="name"/> (e.g. "mnist/train"); labels must be below <paramref name="classNames"/>.Count.
    /// </summary>
    /// <exception cref="DataFormatException">either file is malformed, or the image count differs from the label
    /// count (reported against the images file, checked right after its header).</exception>
    /// <exception cref="IOException">a file cannot be opened or read.</exception>
    public static Dataset ReadPair(string imagesPath, string labelsPath, string name, IReadOnlyList<string> classNames)
    {
        int[] labels = ReadLabels(labelsPath, classNames.Count);
        using var stream = OpenFile(imagesPath);
        var images = ReadImages(stream, imagesPath, (labels.Length, labelsPath));
        return new Dataset(name, classNames, images.Height, images.Width, images.Pixels, labels);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // one call per file: skip tier-0 for the hot loop
    private static ImageSet ReadImages(Stream stream, string name, (int Count, string Path)? labels)
    {
        using var input = new IdxInput(stream, name);
        Span<byte> header = stackalloc byte[16];
        input.ReadHeader(header, ImagesMagic, "images");
        uint count = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
        uint rows = BinaryPrimitives.ReadUInt32BigEndian(header[8..]);
        uint cols = BinaryPrimitives.ReadUInt32BigEndian(header[12..]);
        if (rows != Side || cols != Side)
            throw input.Error($"images are {rows}×{cols}; Digits reads {Side}×{Side} images only (the MNIST layout)");
        if (count > MaxImages)
            throw input.Error($"header claims {count} images; more than {MaxImages} (what one float array holds) " +
                "is refused as absurd (a corrupt header?)");
        if (labels is { } l && l.Count != count)
            throw input.Error($"header claims {count} images but {l.Path} holds {l.Count} labels");
        long bytes = (long)count * PixelsPerImage;
        var chunks = input.ReadPayload(bytes, $"{count} images of {rows}×{cols} ({bytes} bytes)");
        var pixels = new float[bytes];
        int at = 0;
        foreach (byte[] chunk in chunks)
            foreach (byte b in chunk)
                pixels[at++] = ByteToUnit[b];
        return new ImageSet(pixels, (int)count, Side, Side);
    }

    /// <summary>The largest IDX file read, in bytes: a raw images file of <see cref="MaxImages"/> images and its
    /// 16-byte header (a gzip file of them is smaller).</summary>
    public static readonly long MaxFileBytes = 16 + (long)MaxImages * PixelsPerImage;

    /// <exception cref="InputFileException">not a regular file, or larger than <see cref="MaxFileBytes"/>.</exception>
    internal static FileStream OpenFile(string path) => InputFile.OpenRead(path, MaxFileBytes, "an IDX file");
}
