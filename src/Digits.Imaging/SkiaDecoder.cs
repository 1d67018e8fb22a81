using System.Runtime.InteropServices;
using Digits.Core.Data;
using SkiaSharp;

namespace Digits.Imaging;

/// <summary>
/// PNG, JPEG (EXIF orientation applied), WebP, GIF (first frame), BMP and ICO through Skia's codecs (SkiaSharp; Skia's
/// decoders are fuzzed continuously by OSS-Fuzz). The declared size is checked against <see cref="ImageLimits"/>
/// and against the file's size (<see cref="ImageLimits.CheckCompressed"/>) before any pixel is decoded, so a small
/// file claiming 50000×50000 pixels, or 8000×8000 in a few hundred bytes (a decompression bomb), is refused without
/// decoding it. Pixels are decoded as RGBA into native memory of the declared size (so bounded by
/// <see cref="ImageLimits.MaxPixels"/>), and only a complete decode is turned into gray levels (luma 0.299R +
/// 0.587G + 0.114B, alpha composited over white). Every failure Skia reports, truncated data included, becomes a
/// <see cref="DataFormatException"/> naming the file.
/// </summary>
public static class SkiaDecoder
{
    /// <summary>Whether <paramref name="file"/> starts like a format this decoder reads.</summary>
    public static bool Recognizes(ReadOnlySpan<byte> file) => Sniff(file) is not null;

    /// <summary>The format <paramref name="file"/> starts like (PNG, JPEG, GIF, WebP, BMP, ICO), or null.</summary>
    public static string? Sniff(ReadOnlySpan<byte> file) =>
        file.StartsWith(PngSignature) ? "PNG" :
        file.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]) ? "JPEG" :
        file.StartsWith("GIF87a"u8) || file.StartsWith("GIF89a"u8) ? "GIF" :
        file.Length >= 12 && file.StartsWith("RIFF"u8) && file[8..12].SequenceEqual("WEBP"u8) ? "WebP" :
        file.StartsWith("BM"u8) ? "BMP" :
        file.StartsWith((ReadOnlySpan<byte>)[0, 0, 1, 0]) ? "ICO" : null;

    /// <summary>The eight bytes every PNG file starts with.</summary>
    public static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Decodes <paramref name="file"/>; <paramref name="name"/> names it in error messages.</summary>
    /// <exception cref="DataFormatException">not an image Skia reads, too large, or malformed.</exception>
    public static unsafe GrayImage Decode(ReadOnlySpan<byte> file, string name)
    {
        SKCodec? codec;
        SKCodecResult created;
        try
        {
            // The stream holds its own copy of the bytes; the codec takes ownership of it (and deletes it).
            codec = SKCodec.Create(new SKMemoryStream(file.ToArray()), out created);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new DataFormatException(name, $"the image decoder failed: {e.Message}", e);
        }
        if (codec is null)
            throw new DataFormatException(name, created == SKCodecResult.IncompleteInput
                ? $"truncated: the file ends inside its {Sniff(file) ?? "image"} header"
                : $"not a valid {Sniff(file) ?? "image"} file: its header is {Describe(created, header: true)}");
        using (codec)
        {
            var info = codec.Info;
            ImageLimits.CheckCompressed(name, info.Width, info.Height, file.Length);
            int w = info.Width, h = info.Height;
            var rgba = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            nuint bytes = (nuint)((long)w * h * 4);
            void* pixels = NativeMemory.Alloc(bytes);
            try
            {
                SKCodecResult result;
                try
                {
                    result = codec.GetPixels(rgba, (IntPtr)pixels);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    throw new DataFormatException(name, $"the image decoder failed: {e.Message}", e);
                }
                if (result != SKCodecResult.Success)
                    throw new DataFormatException(name, $"{Sniff(file)} {w}×{h}: {Describe(result, header: false)}");
                var gray = new float[(long)w * h];
                var source = new ReadOnlySpan<byte>(pixels, (int)(w * h * 4L));
                for (int i = 0; i < gray.Length; i++)
                {
                    float r = source[4 * i], g = source[4 * i + 1], b = source[4 * i + 2], a = source[4 * i + 3] / 255f;
                    float luma = (0.299f * r + 0.587f * g + 0.114f * b) / 255f;
                    gray[i] = Math.Clamp(a * luma + (1 - a), 0f, 1f);
                }
                return Orient(new GrayImage(w, h, gray), codec.EncodedOrigin);
            }
            finally
            {
                NativeMemory.Free(pixels);
            }
        }
    }

    private static string Describe(SKCodecResult result, bool header) => result switch
    {
        SKCodecResult.IncompleteInput => "truncated: the image data ends early",
        SKCodecResult.ErrorInInput or SKCodecResult.InvalidInput => header ? "invalid" : "the image data is corrupt",
        SKCodecResult.Unimplemented => "a variant of the format the decoder does not implement",
        _ => $"refused by the decoder ({result})",
    };

    /// <summary>Turns stored pixels upright as the EXIF orientation says (what a phone writes instead of rotating).
    /// </summary>
    public static GrayImage Orient(GrayImage image, SKEncodedOrigin origin)
    {
        if (origin is SKEncodedOrigin.TopLeft) return image;
        int w = image.Width, h = image.Height;
        bool swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom
            or SKEncodedOrigin.LeftBottom;
        int ow = swap ? h : w, oh = swap ? w : h;
        var output = new float[image.Pixels.Length];
        for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
        {
            // (sx, sy): where output pixel (x, y) is stored.
            var (sx, sy) = origin switch
            {
                SKEncodedOrigin.TopRight => (w - 1 - x, y),
                SKEncodedOrigin.BottomRight => (w - 1 - x, h - 1 - y),
                SKEncodedOrigin.BottomLeft => (x, h - 1 - y),
                SKEncodedOrigin.LeftTop => (y, x),
                SKEncodedOrigin.RightTop => (y, h - 1 - x),
                SKEncodedOrigin.RightBottom => (w - 1 - y, h - 1 - x),
                SKEncodedOrigin.LeftBottom => (w - 1 - y, x),
                _ => (x, y),
            };
            output[y * ow + x] = image[sx, sy];
        }
        return new GrayImage(ow, oh, output);
    }
}
