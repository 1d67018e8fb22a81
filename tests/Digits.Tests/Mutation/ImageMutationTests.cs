using Digits.Core.Data;
using Digits.Imaging;
using Digits.Tests.Images;
using Digits.Tests.Support;
using SkiaSharp;
using Xunit;

namespace Digits.Tests.Mutation;

/// <summary>
/// JPEG (plain and with an EXIF orientation), WebP, GIF and BMP — read by Skia through <see cref="SkiaDecoder"/>,
/// via <see cref="ImageDecoder.Decode(string)"/> as <c>predict</c> calls it — under thousands of mutations of small
/// valid files: each must decode to a sane image or throw a <see cref="DataFormatException"/> naming the file, so
/// every failure Skia reports (and any exception it throws) is mapped to our typed error. The size fields (JPEG's
/// SOF, GIF's screen and frame, BMP's header) are among the fields inflated.
/// </summary>
public sealed class ImageMutationTests
{
    /// <summary>A 24×20 picture with edges, gradients and a dark stroke, so every codec has something to code.</summary>
    private static GrayImage Picture()
    {
        int w = 24, h = 20;
        var pixels = new float[w * h];
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            pixels[y * w + x] = Math.Abs(x - y) < 3 ? 0.1f : 0.5f + 0.4f * MathF.Sin(x * 0.7f) * MathF.Cos(y * 0.4f);
        return new GrayImage(w, h, pixels);
    }

    private static Field[] JpegFields(byte[] jpeg)
    {
        for (int at = 2; at + 9 < jpeg.Length; at++)
            if (jpeg[at] == 0xFF && jpeg[at + 1] is 0xC0 or 0xC2)
                return [new Field("SOF height", at + 5, 2), new Field("SOF width", at + 7, 2), new Field("SOF length", at + 2, 2)];
        return [];
    }

    private static MutationSource[] Sources()
    {
        var picture = Picture();
        var jpeg = TestImages.Encode(picture, SKEncodedImageFormat.Jpeg);
        var exif = TestImages.JpegWithOrientation(picture, 6);
        var gif = TestImages.Gif(picture);
        return
        [
            new("jpeg 24×20", jpeg, JpegFields(jpeg)),
            new("jpeg 24×20 EXIF orientation 6", exif, [new Field("EXIF orientation", 2 + 4 + 6 + 18, 2), .. JpegFields(exif)]),
            new("webp 24×20", TestImages.Encode(picture, SKEncodedImageFormat.Webp, 80), [new Field("RIFF size", 4, 4, false)]),
            new("gif 24×20", gif, [new Field("screen width", 6, 2, false), new Field("screen height", 8, 2, false),
                new Field("frame width", 13 + 768 + 5, 2, false), new Field("frame height", 13 + 768 + 7, 2, false)]),
            new("bmp 24×20", TestImages.Bmp(picture), [new Field("width", 18, 4, false), new Field("height", 22, 4, false),
                new Field("bits per pixel", 28, 2, false), new Field("pixel offset", 10, 4, false), new Field("colours used", 46, 4, false)]),
        ];
    }

    /// <summary>The default bound (64 × the file + 1 MiB), plus 8 bytes for each pixel a file of this size may
    /// declare (<see cref="ImageLimits.MaxPixelsFor"/>): the float32 gray image and its upright copy. Skia's own
    /// pixel buffer is native memory of the same declared size, not counted here but bounded by the same rule.</summary>
    private static long Bound(byte[] file) => MutationRun.DefaultBound(file) + 8 * ImageLimits.MaxPixelsFor(file.Length);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Jpeg_webp_gif_and_bmp_decode_sanely_or_give_a_DataFormatException(int source)
    {
        var sources = Sources();
        var report = await MutationRun.RunAsync(sources[source].Name.Split(' ')[0] + (source == 1 ? "-exif" : ""), [sources[source]],
            (_, path) => ImageDecoder.Decode(path), typeof(DataFormatException),
            new MutationOptions { AllocationBound = Bound, Check = (r, _) => PngMutationTests.CheckImage(r) });
        Assert.True(report.Rejected > 0 && report.Loaded > 0, report.ToString());
    }
}
