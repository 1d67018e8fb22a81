using System.Buffers.Binary;
using System.IO.Compression;
using Digits.Core.Data;
using Digits.Imaging;
using Digits.Tests.Images;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Mutation;

/// <summary>
/// PNG decoding (Skia's, through <see cref="ImageDecoder.Decode(string)"/>, as <c>predict</c> calls it) under
/// thousands of mutations of small valid PNGs of every colour type and bit depth, plain and Adam7-interlaced, with
/// PLTE and tRNS: each must decode to a sane image or throw a <see cref="DataFormatException"/> naming the file.
/// Since every chunk carries a CRC-32, most runs recompute the CRCs after mutating, so the mutations reach the
/// chunk contents; one run keeps them as mutated, and one mutates the scanlines inside the compressed data.
/// </summary>
public sealed class PngMutationTests
{
    /// <summary>A small PNG's parts: the chunks before the image data, and the filtered scanlines.</summary>
    internal sealed record TinyPng(string Name, byte[] Prefix, byte[] Scanlines)
    {
        public byte[] File() => Build(Prefix, Scanlines);

        public static byte[] Build(byte[] prefix, byte[] scanlines) =>
            [.. prefix, .. TestPng.Chunk("IDAT", TestPng.Zlib(scanlines)), .. TestPng.Iend()];
    }

    /// <summary>A <paramref name="width"/>×<paramref name="height"/> image of a fixed pattern, each pass filtered
    /// with a different filter type (0–4), with a palette for colour type 3 and, when asked, a tRNS chunk.</summary>
    internal static TinyPng Make(int width, int height, byte depth, byte color, bool interlaced = false,
        bool transparency = false)
    {
        int channels = color switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };
        int bits = channels * depth, max = (1 << depth) - 1, entries = Math.Min(1 << depth, 16);
        var prefix = new List<byte>(TestPng.File(TestPng.Ihdr((uint)width, (uint)height, depth, color,
            (byte)(interlaced ? 1 : 0))));
        if (color == 3)
        {
            var palette = new byte[3 * entries];
            for (int k = 0; k < palette.Length; k++) palette[k] = (byte)(k * 37);
            prefix.AddRange(TestPng.Chunk("PLTE", palette));
        }
        if (transparency)
            prefix.AddRange(TestPng.Chunk("tRNS", color switch
            {
                0 => [0, 1],
                2 => [0, 1, 0, 2, 0, 3],
                _ => Enumerable.Range(0, entries).Select(k => (byte)(k * 50)).ToArray(),
            }));
        (int X0, int Y0, int Dx, int Dy)[] passes = interlaced
            ? [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
            : [(0, 0, 1, 1)];
        using var scanlines = new MemoryStream();
        for (int p = 0; p < passes.Length; p++)
        {
            var (x0, y0, dx, dy) = passes[p];
            int w = (width - x0 + dx - 1) / dx, h = (height - y0 + dy - 1) / dy;
            if (w <= 0 || h <= 0) continue;
            var rows = new byte[h][];
            for (int y = 0; y < h; y++)
            {
                rows[y] = new byte[(w * bits + 7) / 8];
                for (int x = 0; x < w; x++)
                for (int c = 0; c < channels; c++)
                {
                    int px = x0 + x * dx, py = y0 + y * dy;
                    int sample = ((px * 7 + py * 13 + c * 5) * 977 % 65536) & max;
                    if (color == 3) sample %= entries;
                    Put(rows[y], x * channels + c, depth, sample);
                }
            }
            scanlines.Write(TestPng.Filter(rows, p % 5, Math.Max(1, bits / 8)));
        }
        string name = $"{(color switch { 0 => "gray", 2 => "rgb", 3 => "palette", 4 => "gray+alpha", _ => "rgba" })}" +
                      $"{depth} {width}×{height}{(interlaced ? " interlaced" : "")}{(transparency ? " tRNS" : "")}";
        return new TinyPng(name, [.. prefix], scanlines.ToArray());
    }

    private static void Put(byte[] row, int index, int depth, int sample)
    {
        switch (depth)
        {
            case 16: BinaryPrimitives.WriteUInt16BigEndian(row.AsSpan(2 * index), (ushort)sample); break;
            case 8: row[index] = (byte)sample; break;
            default: row[index * depth / 8] |= (byte)(sample << (8 - depth - index * depth % 8)); break;
        }
    }

    internal static TinyPng[] Images =>
    [
        Make(5, 3, 1, 0), Make(5, 3, 2, 0), Make(5, 3, 4, 0), Make(5, 3, 8, 0, transparency: true), Make(3, 2, 16, 0),
        Make(4, 3, 8, 2), Make(3, 2, 16, 2, transparency: true), Make(4, 3, 8, 3), Make(9, 2, 1, 3, transparency: true),
        Make(5, 2, 2, 3), Make(5, 2, 4, 3, transparency: true), Make(4, 2, 8, 4), Make(2, 2, 16, 4),
        Make(3, 3, 8, 6), Make(2, 2, 16, 6),
        Make(9, 9, 8, 0, interlaced: true), Make(10, 5, 1, 0, interlaced: true),
        Make(9, 6, 2, 3, interlaced: true, transparency: true), Make(5, 9, 16, 6, interlaced: true),
    ];

    /// <summary>Each chunk's length, and IHDR's fields, as inflatable <see cref="Field"/>s.</summary>
    private static Field[] Fields(byte[] png)
    {
        var fields = new List<Field>();
        for (int at = 8; at + 12 <= png.Length;)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at));
            string type = System.Text.Encoding.ASCII.GetString(png, at + 4, 4);
            fields.Add(new Field($"{type} length", at, 4));
            if (type == "IHDR")
                fields.AddRange([new Field("IHDR width", at + 8, 4), new Field("IHDR height", at + 12, 4),
                    new Field("IHDR bit depth", at + 16, 1), new Field("IHDR colour type", at + 17, 1),
                    new Field("IHDR interlace", at + 20, 1)]);
            if (length > png.Length) break;
            at += 12 + (int)length;
        }
        return [.. fields];
    }

    private static MutationSource[] Sources()
    {
        var sources = Images.Select(p => p.File()).Select((f, k) => new MutationSource(Images[k].Name, f, Fields(f)))
            .ToList();
        foreach (string kat in new[] { "interlaced.png", "filters.png" }) // written by other encoders
        {
            byte[] file = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "kat", kat));
            sources.Add(new MutationSource($"Fixtures/kat/{kat}", file, Fields(file)));
        }
        return [.. sources];
    }

    /// <summary>Recomputes every chunk's CRC-32 where the chunk lies inside the file, so a mutation is judged by
    /// the chunk's contents rather than stopped at its checksum.</summary>
    internal static byte[] RepairCrcs(byte[] png)
    {
        var file = (byte[])png.Clone();
        for (long at = 8; at + 12 <= file.Length;)
        {
            long length = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan((int)at));
            if (at + 12 + length > file.Length) break;
            uint crc = TestPng.Crc(file.AsSpan((int)at + 4, 4 + (int)length));
            BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan((int)(at + 8 + length)), crc);
            at += 12 + length;
        }
        return file;
    }

    /// <summary>What the file's IDAT chunks (whatever their CRCs) really inflate to: the data the file justifies.
    /// </summary>
    private static long InflatedIdat(byte[] png)
    {
        using var idat = new MemoryStream();
        for (long at = 8; at + 12 <= png.Length;)
        {
            long length = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan((int)at));
            if (at + 12 + length > png.Length) break;
            if (png.AsSpan((int)at + 4, 4).SequenceEqual("IDAT"u8)) idat.Write(png, (int)at + 8, (int)length);
            at += 12 + length;
        }
        return MutationRun.InflatedLength(idat.ToArray(), s => new ZLibStream(s, CompressionMode.Decompress));
    }

    /// <summary>A decoded image's size agrees with its pixels, is within the limits, and every gray level is in
    /// [0, 1].</summary>
    internal static void CheckImage(object? result)
    {
        var image = Assert.IsType<GrayImage>(result);
        Assert.InRange(image.Width, 1, ImageLimits.MaxSide);
        Assert.InRange(image.Height, 1, ImageLimits.MaxSide);
        Assert.Equal((long)image.Width * image.Height, image.Pixels.Length);
        Assert.All(image.Pixels, p => Assert.InRange(p, 0f, 1f));
    }

    private static MutationOptions Options => new()
    {
        AllocationBound = file => MutationRun.InflatedBound(file, InflatedIdat(file)),
        Check = (r, _) => CheckImage(r),
    };

    [Fact]
    public async Task Pngs_with_repaired_crcs_decode_sanely_or_give_a_DataFormatException()
    {
        var report = await MutationRun.RunAsync("png", Sources(), (_, path) => ImageDecoder.Decode(path),
            typeof(DataFormatException), Options with { Encode = (bytes, _) => RepairCrcs(bytes) });
        Assert.True(report.Rejected > 0 && report.Loaded > 0, report.ToString());
    }

    [Fact]
    public async Task Pngs_mutated_without_crc_repair_decode_sanely_or_give_a_DataFormatException()
    {
        var report = await MutationRun.RunAsync("png-crc", Sources(), (_, path) => ImageDecoder.Decode(path),
            typeof(DataFormatException), Options with { MaxCases = MutationOptions.Cases(1000) });
        Assert.True(report.Rejected > 0, report.ToString());
    }

    /// <summary>The filtered scanlines are mutated, then compressed into a PNG with the source's own header
    /// chunks: unknown filter types, palette indices past the PLTE, too little or too much image data.</summary>
    [Fact]
    public async Task Pngs_with_mutated_scanlines_decode_sanely_or_give_a_DataFormatException()
    {
        var images = Images.ToDictionary(p => p.Name);
        var report = await MutationRun.RunAsync("png-scanlines",
            images.Values.Select(p => new MutationSource(p.Name, p.Scanlines)).ToArray(),
            (_, path) => ImageDecoder.Decode(path), typeof(DataFormatException),
            Options with { Encode = (bytes, source) => TinyPng.Build(images[source.Name].Prefix, bytes) });
        Assert.True(report.Rejected > 0 && report.Loaded > 0, report.ToString());
    }
}
