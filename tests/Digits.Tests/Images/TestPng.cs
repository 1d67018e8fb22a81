using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Digits.Tests.Images;

/// <summary>Writes PNGs byte by byte for known-answer and malformed-input tests: chosen filter per row, any
/// IHDR, optional extra chunks, optionally wrong CRCs.</summary>
internal static class TestPng
{
    public static byte[] Chunk(string type, ReadOnlySpan<byte> data, bool badCrc = false)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(chunk, (uint)data.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(chunk, 4);
        data.CopyTo(chunk.AsSpan(8));
        uint crc = Crc(chunk.AsSpan(4, 4 + data.Length)) ^ (badCrc ? 1u : 0u);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), crc);
        return chunk;
    }

    public static byte[] Ihdr(uint width, uint height, byte depth, byte color, byte interlace = 0)
    {
        var d = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(d, width);
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(4), height);
        d[8] = depth;
        d[9] = color;
        d[12] = interlace;
        return Chunk("IHDR", d);
    }

    public static byte[] Zlib(ReadOnlySpan<byte> raw)
    {
        using var output = new MemoryStream();
        using (var z = new ZLibStream(output, CompressionLevel.Optimal)) z.Write(raw);
        return output.ToArray();
    }

    /// <summary>Filters <paramref name="rows"/> (unfiltered scanlines) with <paramref name="filter"/> on every row.</summary>
    public static byte[] Filter(byte[][] rows, int filter, int bpp)
    {
        using var raw = new MemoryStream();
        var prior = new byte[rows[0].Length];
        foreach (var row in rows)
        {
            raw.WriteByte((byte)filter);
            for (int i = 0; i < row.Length; i++)
            {
                int a = i >= bpp ? row[i - bpp] : 0, b = prior[i], c = i >= bpp ? prior[i - bpp] : 0;
                int predicted = filter switch
                {
                    0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2,
                    _ => Math.Abs(b - c) <= Math.Abs(a - c) && Math.Abs(b - c) <= Math.Abs(a + b - 2 * c) ? a
                        : Math.Abs(a - c) <= Math.Abs(a + b - 2 * c) ? b : c,
                };
                raw.WriteByte((byte)(row[i] - predicted));
            }
            prior = row;
        }
        return raw.ToArray();
    }

    public static byte[] File(params byte[][] chunks) =>
        [.. Digits.Imaging.SkiaDecoder.PngSignature, .. chunks.SelectMany(c => c)];

    public static byte[] Iend() => Chunk("IEND", []);

    /// <summary>CRC-32 (ISO 3309, as PNG uses it), written out here so the tests do not trust the decoder's own.</summary>
    public static uint Crc(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
