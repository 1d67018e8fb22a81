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
/// <see cref="ImageLimits.MaxPixels"/>, freed on return), and only a complete decode is turned into gray levels
/// (luma 0.299R + 0.587G + 0.114B, alpha composited over white), upright, and shrunk on the way when asked. Every
/// failure Skia reports, truncated data included, becomes a <see cref="DataFormatException"/> naming the file.
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

    /// <summary>Decodes <paramref name="file"/>, full size; <paramref name="name"/> names it in error messages.</summary>
    /// <exception cref="DataFormatException">not an image Skia reads, too large, or malformed.</exception>
    public static GrayImage Decode(ReadOnlySpan<byte> file, string name) => Decode(file, name, int.MaxValue);

    /// <summary>Decodes <paramref name="file"/>, upright, shrunk to at most <paramref name="maxSide"/> pixels a side
    /// (<see cref="Resampling.ShrinkToFit"/>: bit for bit what shrinking the full-size picture gives) while its RGBA
    /// pixels are turned into gray levels, so the full-size picture is never held as floats: the decode costs its
    /// RGBA pixels (4 bytes each, native memory freed on return) and the result.</summary>
    /// <exception cref="DataFormatException">not an image Skia reads, too large, or malformed.</exception>
    public static unsafe GrayImage Decode(ReadOnlySpan<byte> file, string name, int maxSide)
    {
        SKCodec? codec;
        SKCodecResult created;
        // A native copy of the bytes (no managed garbage per decode), shared by the stream while the codec reads it.
        using var data = SKData.CreateCopy(file);
        try
        {
            // the codec takes ownership of the stream (and deletes it)
            codec = SKCodec.Create(new SKMemoryStream(data), out created);
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
                var upright = new UprightRows((byte*)pixels, w, h, codec.EncodedOrigin);
                return Resampling.ShrinkToFit(upright, upright.Width, upright.Height, maxSide);
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

    /// <summary>
    /// The decoded RGBA pixels as gray levels (luma 0.299R + 0.587G + 0.114B, alpha composited over white), row by row
    /// of the picture turned upright as the EXIF orientation says (what a phone writes instead of rotating). Upright
    /// pixel (x, y) is stored at index Start + x·StepX + y·StepY: every orientation (a mirror, a rotation by a
    /// multiple of 90°, or both) is such a walk through the stored rows.
    /// </summary>
    private readonly unsafe struct UprightRows : IRowSource
    {
        private readonly byte* _rgba;
        private readonly long _start, _stepX, _stepY;

        public UprightRows(byte* rgba, int w, int h, SKEncodedOrigin origin)
        {
            _rgba = rgba;
            long last = (long)(h - 1) * w; // the first pixel of the stored bottom row
            (_start, _stepX, _stepY) = origin switch
            {
                SKEncodedOrigin.TopRight => (w - 1, -1, w),
                SKEncodedOrigin.BottomRight => (last + w - 1, -1, -w),
                SKEncodedOrigin.BottomLeft => (last, 1, -w),
                SKEncodedOrigin.LeftTop => (0, w, 1),
                SKEncodedOrigin.RightTop => (last, -w, 1),
                SKEncodedOrigin.RightBottom => (last + w - 1, -w, -1),
                SKEncodedOrigin.LeftBottom => (w - 1, w, -1),
                _ => (0L, 1L, (long)w),
            };
            bool swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom
                or SKEncodedOrigin.LeftBottom;
            (Width, Height) = swap ? (h, w) : (w, h);
        }

        /// <summary>The upright picture's size.</summary>
        public int Width { get; }
        public int Height { get; }

        public void Read(int y, Span<float> row)
        {
            long at = _start + y * _stepY;
            for (int x = 0; x < row.Length; x++, at += _stepX)
            {
                byte* p = _rgba + 4 * at;
                float r = p[0], g = p[1], b = p[2], a = p[3] / 255f;
                float luma = (0.299f * r + 0.587f * g + 0.114f * b) / 255f;
                row[x] = Math.Clamp(a * luma + (1 - a), 0f, 1f);
            }
        }
    }
}
