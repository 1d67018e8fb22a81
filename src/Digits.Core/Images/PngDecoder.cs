using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Digits.Core.Data;

namespace Digits.Core.Images;

/// <summary>
/// A small PNG reader written from the specification (RFC 2083 / W3C PNG): the signature, chunks with their
/// lengths bounded by the file and every CRC-32 checked, IHDR, PLTE, tRNS, consecutive IDAT chunks inflated
/// with a length limit, the five scanline filters, Adam7 interlacing, and every legal colour type and bit
/// depth. Output is gray (luma 0.299R + 0.587G + 0.114B) with alpha composited over white. Ancillary chunks
/// other than tRNS are skipped; gamma and colour profiles are ignored. Every malformed input gives a
/// <see cref="DataFormatException"/> naming the file, before any allocation larger than the image it declares.
/// </summary>
public static class PngDecoder
{
    /// <summary>The eight bytes every PNG file starts with.</summary>
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    /// <summary>Reads and decodes the PNG file at <paramref name="path"/>.</summary>
    /// <exception cref="DataFormatException">not a well-formed PNG.</exception>
    /// <exception cref="IOException">unreadable.</exception>
    public static GrayImage Decode(string path) => Decode(ImageLimits.ReadFile(path), path);

    /// <summary>Decodes PNG bytes; <paramref name="name"/> names the source in error messages.</summary>
    /// <exception cref="DataFormatException">not a well-formed PNG.</exception>
    public static GrayImage Decode(ReadOnlySpan<byte> file, string name)
    {
        if (file.Length < 8 || !file[..8].SequenceEqual(Signature))
            throw new DataFormatException(name, "not a PNG file (the 8-byte signature is missing)");
        Header? header = null;
        byte[]? palette = null;
        byte[]? transparency = null;
        using var idat = new MemoryStream();
        string previous = "";
        bool ended = false;
        int at = 8;
        while (!ended)
        {
            if (file.Length - at < 12)
                throw new DataFormatException(name, $"truncated: the file ends at byte {file.Length} inside or before a chunk; no IEND");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(file[at..]);
            var typeBytes = file.Slice(at + 4, 4);
            string type = Encoding.ASCII.GetString(typeBytes);
            foreach (byte b in typeBytes)
                if (!char.IsAsciiLetter((char)b))
                    throw new DataFormatException(name, $"byte {at + 4}: chunk type '{Printable(typeBytes)}' is not four letters");
            if (length > int.MaxValue || length > file.Length - at - 12)
                throw new DataFormatException(name,
                    $"truncated: chunk {type} at byte {at} claims {length:N0} bytes but only {Math.Max(0, file.Length - at - 12):N0} remain");
            var data = file.Slice(at + 8, (int)length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(file[(at + 8 + (int)length)..]);
            uint computed = Crc32.Compute(file.Slice(at + 4, 4 + (int)length));
            if (stored != computed)
                throw new DataFormatException(name, $"chunk {type} at byte {at}: CRC mismatch (stored {stored:x8}, computed {computed:x8}); the file is corrupt");
            at += 12 + (int)length;
            if (header is null && type != "IHDR")
                throw new DataFormatException(name, $"the first chunk is {type}, not IHDR");
            switch (type)
            {
                case "IHDR":
                    if (header is not null) throw new DataFormatException(name, "more than one IHDR chunk");
                    header = Header.Parse(data, name);
                    break;
                case "PLTE":
                    if (palette is not null) throw new DataFormatException(name, "more than one PLTE chunk");
                    if (idat.Length > 0) throw new DataFormatException(name, "PLTE after IDAT");
                    if (header!.ColorType is 0 or 4) throw new DataFormatException(name, "PLTE in a grayscale image");
                    if (length % 3 != 0 || length == 0 || length / 3 > 256 ||
                        (header.ColorType == 3 && length / 3 > 1 << header.BitDepth))
                        throw new DataFormatException(name, $"PLTE of {length} bytes is not 1..{(header.ColorType == 3 ? 1 << header.BitDepth : 256)} RGB entries");
                    palette = data.ToArray();
                    break;
                case "tRNS":
                    if (idat.Length > 0) throw new DataFormatException(name, "tRNS after IDAT");
                    transparency = CheckTransparency(header!, palette, data, name);
                    break;
                case "IDAT":
                    if (previous != "IDAT" && idat.Length > 0) throw new DataFormatException(name, "IDAT chunks are not consecutive");
                    idat.Write(data);
                    break;
                case "IEND":
                    ended = true;
                    break;
                default:
                    if (char.IsAsciiLetterUpper(type[0]))
                        throw new DataFormatException(name, $"unknown critical chunk {type}");
                    break;
            }
            previous = type;
        }
        var h = header!;
        if (h.ColorType == 3 && palette is null) throw new DataFormatException(name, "a palette image without a PLTE chunk");
        if (idat.Length == 0) throw new DataFormatException(name, "no IDAT chunk: the image has no pixel data");
        byte[] raw = Inflate(idat, h.InflatedLength(), name);
        return new GrayImage(h.Width, h.Height, Pixels.ToGray(h, raw, palette, transparency, name));
    }

    private static byte[] CheckTransparency(Header h, byte[]? palette, ReadOnlySpan<byte> data, string name)
    {
        int expected = h.ColorType switch { 0 => 2, 2 => 6, 3 => -1, _ => 0 };
        if (expected == 0) throw new DataFormatException(name, $"tRNS in colour type {h.ColorType}, which has an alpha channel");
        if (expected == -1)
        {
            if (palette is null) throw new DataFormatException(name, "tRNS before PLTE");
            if (data.Length > palette.Length / 3)
                throw new DataFormatException(name, $"tRNS has {data.Length} entries for a {palette.Length / 3}-entry palette");
        }
        else if (data.Length != expected)
            throw new DataFormatException(name, $"tRNS is {data.Length} bytes; colour type {h.ColorType} needs {expected}");
        return data.ToArray();
    }

    /// <summary>Inflates the zlib stream into exactly <paramref name="expected"/> bytes; more or less is an error.</summary>
    private static byte[] Inflate(MemoryStream compressed, long expected, string name)
    {
        // Deflate cannot expand more than about 1032:1, so a short stream claiming a huge image is refused
        // before the output buffer is allocated.
        if (expected > compressed.Length * 1032 + 1024)
            throw new DataFormatException(name, $"truncated image data: {compressed.Length:N0} compressed bytes cannot " +
                                                $"hold the {expected:N0} bytes IHDR implies");
        // PNG forbids a preset dictionary (FDICT, bit 5 of the zlib header's second byte); zlib would ask for one.
        if (compressed.Length >= 2 && (compressed.GetBuffer()[1] & 0x20) != 0)
            throw new DataFormatException(name, "the compressed image data asks for a preset dictionary, which PNG does not allow");
        compressed.Position = 0;
        var output = new byte[expected];
        try
        {
            using var z = new ZLibStream(compressed, CompressionMode.Decompress);
            int filled = 0;
            while (filled < output.Length)
            {
                int n = z.Read(output, filled, output.Length - filled);
                if (n == 0)
                    throw new DataFormatException(name, $"truncated image data: inflated {filled:N0} of the {expected:N0} bytes IHDR implies");
                filled += n;
            }
            Span<byte> extra = stackalloc byte[1];
            if (z.Read(extra) != 0)
                throw new DataFormatException(name, $"the image data inflates to more than the {expected:N0} bytes IHDR implies");
        }
        catch (Exception e) when (e is InvalidDataException or IOException) // IOException: zlib's other errors
        {
            throw new DataFormatException(name, $"the compressed image data is corrupt ({e.Message})", e);
        }
        return output;
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder();
        foreach (byte b in bytes) text.Append(b is >= 32 and < 127 ? (char)b : '?');
        return text.ToString();
    }

    /// <summary>IHDR's fields, validated.</summary>
    internal sealed record Header(int Width, int Height, int BitDepth, int ColorType, bool Interlaced)
    {
        public int Channels => ColorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };
        public int BitsPerPixel => Channels * BitDepth;

        /// <summary>Bytes to the corresponding byte of the previous pixel, for the filters (at least 1).</summary>
        public int FilterStride => Math.Max(1, BitsPerPixel / 8);

        public long RowBytes(long width) => (width * BitsPerPixel + 7) / 8;

        /// <summary>Filtered bytes the image data must inflate to: one filter byte plus the row, per row, per pass.</summary>
        public long InflatedLength()
        {
            if (!Interlaced) return Height * (1 + RowBytes(Width));
            long total = 0;
            foreach (var (w, h) in PassSizes()) if (w > 0 && h > 0) total += h * (1 + RowBytes(w));
            return total;
        }

        public IEnumerable<(int W, int H)> PassSizes()
        {
            if (!Interlaced)
            {
                yield return (Width, Height);
                yield break;
            }
            foreach (var (x0, y0, dx, dy) in Adam7)
                yield return ((Width - x0 + dx - 1) / dx, (Height - y0 + dy - 1) / dy);
        }

        public IEnumerable<(int X0, int Y0, int Dx, int Dy)> Passes() =>
            Interlaced ? Adam7 : [(0, 0, 1, 1)];

        public static Header Parse(ReadOnlySpan<byte> d, string name)
        {
            if (d.Length != 13) throw new DataFormatException(name, $"IHDR is {d.Length} bytes, not 13");
            long width = BinaryPrimitives.ReadUInt32BigEndian(d), height = BinaryPrimitives.ReadUInt32BigEndian(d[4..]);
            int depth = d[8], color = d[9];
            ImageLimits.Check(name, width, height);
            bool legal = color switch
            {
                0 => depth is 1 or 2 or 4 or 8 or 16,
                3 => depth is 1 or 2 or 4 or 8,
                2 or 4 or 6 => depth is 8 or 16,
                _ => false,
            };
            if (!legal) throw new DataFormatException(name, $"IHDR: bit depth {depth} with colour type {color} is not a legal PNG combination");
            if (d[10] != 0) throw new DataFormatException(name, $"IHDR: unknown compression method {d[10]}");
            if (d[11] != 0) throw new DataFormatException(name, $"IHDR: unknown filter method {d[11]}");
            if (d[12] > 1) throw new DataFormatException(name, $"IHDR: unknown interlace method {d[12]}");
            return new Header((int)width, (int)height, depth, color, d[12] == 1);
        }
    }
}
