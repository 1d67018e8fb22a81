using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Digits.Imaging;
using SkiaSharp;

namespace Digits.Tests.Images;

/// <summary>Writes a <see cref="GrayImage"/> as JPEG and WebP (Skia's encoders), BMP and GIF (written here byte by
/// byte: Skia has no encoder for them), and PNG; and adds an EXIF orientation to a JPEG.</summary>
internal static class TestImages
{
    /// <summary>The image as 8-bit RGBA pixels in a Skia bitmap.</summary>
    public static SKBitmap Bitmap(GrayImage image)
    {
        var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var bytes = new byte[image.Pixels.Length * 4];
        for (int i = 0; i < image.Pixels.Length; i++)
        {
            byte v = Level(image.Pixels[i]);
            bytes[4 * i] = bytes[4 * i + 1] = bytes[4 * i + 2] = v;
            bytes[4 * i + 3] = 255;
        }
        Marshal.Copy(bytes, 0, bitmap.GetPixels(), bytes.Length);
        return bitmap;
    }

    private static byte Level(float v) => (byte)Math.Clamp((int)Math.Round(v * 255), 0, 255);

    /// <summary>Encodes with Skia: PNG, JPEG or WebP at <paramref name="quality"/>.</summary>
    public static byte[] Encode(GrayImage image, SKEncodedImageFormat format, int quality = 90)
    {
        using var bitmap = Bitmap(image);
        using var data = bitmap.Encode(format, quality) ?? throw new InvalidOperationException($"Skia did not encode {format}");
        return data.ToArray();
    }

    /// <summary>A JPEG whose stored pixels are <paramref name="stored"/> and whose EXIF says
    /// <paramref name="orientation"/> (1–8), in an APP1 segment right after SOI.</summary>
    public static byte[] JpegWithOrientation(GrayImage stored, int orientation)
    {
        var jpeg = Encode(stored, SKEncodedImageFormat.Jpeg, 95);
        var tiff = new byte[26];
        "MM\0*"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(4), 8); // IFD0 at byte 8
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(8), 1); // one entry
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(10), 0x0112); // Orientation
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(12), 3); // SHORT
        BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(14), 1); // count
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(18), (ushort)orientation);
        byte[] app1 = [0xFF, 0xE1, 0, 0, .. "Exif\0\0"u8, .. tiff];
        BinaryPrimitives.WriteUInt16BigEndian(app1.AsSpan(2), (ushort)(app1.Length - 2));
        return [.. jpeg[..2], .. app1, .. jpeg[2..]];
    }

    /// <summary>An 8-bit gray BMP (BITMAPINFOHEADER, a 256-entry gray palette, rows bottom-up, padded to 4 bytes).
    /// </summary>
    public static byte[] Bmp(GrayImage image)
    {
        int stride = (image.Width + 3) & ~3, offset = 14 + 40 + 1024, size = offset + stride * image.Height;
        var file = new byte[size];
        "BM"u8.CopyTo(file);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(2), size);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(10), offset);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(18), image.Width);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(22), image.Height);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(26), 1); // planes
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(28), 8); // bits per pixel
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(34), stride * image.Height);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(46), 256); // colours used
        for (int k = 0; k < 256; k++) file[54 + 4 * k] = file[55 + 4 * k] = file[56 + 4 * k] = (byte)k;
        for (int y = 0; y < image.Height; y++)
        for (int x = 0; x < image.Width; x++)
            file[offset + (image.Height - 1 - y) * stride + x] = Level(image[x, y]);
        return file;
    }

    /// <summary>A GIF89a with a 256-level gray global palette; the LZW stream sends a clear code before every 254
    /// pixels, so every code stays 9 bits wide and no dictionary is needed (valid, if not small).</summary>
    public static byte[] Gif(GrayImage image)
    {
        var file = new List<byte>();
        file.AddRange("GIF89a"u8.ToArray());
        file.AddRange([(byte)image.Width, (byte)(image.Width >> 8), (byte)image.Height, (byte)(image.Height >> 8), 0xF7, 0, 0]);
        for (int k = 0; k < 256; k++) file.AddRange([(byte)k, (byte)k, (byte)k]);
        file.AddRange([0x2C, 0, 0, 0, 0, (byte)image.Width, (byte)(image.Width >> 8), (byte)image.Height, (byte)(image.Height >> 8), 0]);
        file.Add(8); // LZW minimum code size
        var codes = new List<int>();
        for (int i = 0; i < image.Pixels.Length; i++)
        {
            if (i % 254 == 0) codes.Add(256); // clear
            codes.Add(Level(image.Pixels[i]));
        }
        codes.Add(257); // end of information
        var bits = new List<byte>();
        int buffer = 0, count = 0;
        foreach (int code in codes)
        {
            buffer |= code << count;
            count += 9;
            while (count >= 8) { bits.Add((byte)buffer); buffer >>= 8; count -= 8; }
        }
        if (count > 0) bits.Add((byte)buffer);
        foreach (var block in bits.Chunk(255)) { file.Add((byte)block.Length); file.AddRange(block); }
        file.Add(0);
        file.Add(0x3B);
        return [.. file];
    }
}
