using System.Text;
using Digits.Imaging;
using SkiaSharp;
using Xunit;

namespace Digits.Tests.Images;

/// <summary>
/// Decoding shrunk (<see cref="ImageDecoder.Decode(ReadOnlySpan{byte}, string, int)"/>, what <c>digits serve</c> does so
/// a 16384×4000 picture is never held as floats) gives bit for bit what decoding full size and then shrinking gives,
/// for every format, every EXIF orientation and every PGM/PBM kind; and so the 28×28 field a model gets is the same as
/// <c>predict</c>'s. The row-by-row resize under it is checked against the two-pass whole-picture resize.
/// </summary>
public sealed class ShrinkingDecodeTests
{
    /// <summary>A picture with detail at every scale: a gradient, stripes and a dark block (levels in [0, 1]).</summary>
    private static GrayImage Picture(int w, int h)
    {
        var pixels = new float[w * h];
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            pixels[y * w + x] = x > w / 5 && x < w / 3 && y > h / 4 && y < h / 2 ? 0.05f
                : Math.Clamp(0.3f + 0.5f * x / w + 0.2f * ((x / 3 + y / 5) % 2), 0f, 1f);
        return new GrayImage(w, h, pixels);
    }

    public static TheoryData<string> Formats() =>
    [
        "png", "webp", "gif", "bmp", "jpeg-1", "jpeg-2", "jpeg-3", "jpeg-4", "jpeg-5", "jpeg-6", "jpeg-7", "jpeg-8",
        "P1", "P2", "P4", "P5", "P5-16",
    ];

    private static byte[] Encode(string format, GrayImage image) => format switch
    {
        "png" => TestImages.Encode(image, SKEncodedImageFormat.Png),
        "webp" => TestImages.Encode(image, SKEncodedImageFormat.Webp),
        "gif" => TestImages.Gif(image),
        "bmp" => TestImages.Bmp(image),
        "P1" or "P2" or "P4" or "P5" or "P5-16" => Pnm(format, image),
        _ => TestImages.JpegWithOrientation(image, int.Parse(format["jpeg-".Length..])),
    };

    private static byte[] Pnm(string kind, GrayImage image)
    {
        int w = image.Width, h = image.Height, max = kind == "P5-16" ? 65535 : 255;
        var file = new MemoryStream();
        file.Write(Encoding.ASCII.GetBytes(kind is "P1" or "P4" ? $"{kind} {w} {h}\n" : $"{kind[..2]} {w} {h} {max}\n"));
        var text = new StringBuilder();
        for (int y = 0; y < h; y++)
        {
            var packed = new byte[(w + 7) / 8];
            for (int x = 0; x < w; x++)
            {
                float v = image[x, y];
                int level = (int)Math.Round(v * max);
                switch (kind)
                {
                    case "P1": text.Append(v < 0.5f ? "1" : "0").Append(x % 35 == 34 ? '\n' : ' '); break;
                    case "P2": text.Append(level).Append(x % 17 == 16 ? '\n' : ' '); break;
                    case "P4": if (v < 0.5f) packed[x / 8] |= (byte)(0x80 >> (x % 8)); break;
                    case "P5": file.WriteByte((byte)level); break;
                    default: file.WriteByte((byte)(level >> 8)); file.WriteByte((byte)level); break;
                }
            }
            if (kind == "P4") file.Write(packed);
            text.Append('\n');
        }
        if (kind is "P1" or "P2") file.Write(Encoding.ASCII.GetBytes(text.ToString()));
        return file.ToArray();
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Decoding_shrunk_is_bit_for_bit_shrinking_the_full_decode(string format)
    {
        byte[] file = Encode(format, Picture(900, 700));
        var full = ImageDecoder.Decode(file, "picture");
        foreach (int side in new[] { PhotoCleanup.WorkingSide, 37, 1 })
        {
            var (nw, nh) = Resampling.FitInside(full.Width, full.Height, side);
            Assert.True(Math.Max(nw, nh) == side, $"{format}: {full.Width}×{full.Height} fits {side} as {nw}×{nh}");
            var shrunk = ImageDecoder.Decode(file, "picture", side);
            Assert.Equal((nw, nh), (shrunk.Width, shrunk.Height));
            Assert.True(TwoPassResize(full.Pixels, full.Width, full.Height, nw, nh).AsSpan().SequenceEqual(shrunk.Pixels),
                $"{format}, {side} a side: not what shrinking the full decode gives");
        }
        // what serve classifies is what predict classifies
        var prepared = MnistPreprocessor.Prepare(ImageDecoder.Decode(file, "picture", PhotoCleanup.WorkingSide));
        Assert.True(MnistPreprocessor.Prepare(full).Field.AsSpan().SequenceEqual(prepared.Field), $"{format}: the 28×28 field differs");
        // a picture that fits is decoded as it is
        Assert.True(full.Pixels.AsSpan().SequenceEqual(ImageDecoder.Decode(file, "picture", 900).Pixels));
    }

    [Fact]
    public void Resizing_row_by_row_equals_the_two_pass_resize_bit_for_bit()
    {
        var random = new Random(5);
        foreach (var (w, h, nw, nh) in new[]
                 {
                     (900, 700, 640, 498), (784, 1, 7, 1), (1, 257, 1, 31), (31, 7, 31, 7), (257, 31, 20, 3), (7, 7, 28, 28),
                     (20, 13, 45, 31), (3, 2, 1, 1),
                 })
        {
            var src = Enumerable.Range(0, w * h).Select(_ => (float)random.NextDouble()).ToArray();
            Assert.True(TwoPassResize(src, w, h, nw, nh).AsSpan().SequenceEqual(Resampling.Resize(src, w, h, nw, nh)),
                $"{w}×{h} → {nw}×{nh}");
        }
    }

    /// <summary>The whole-picture resize as it was written before decoders shrank while decoding: every row filtered
    /// along x into an (h, nw) picture, then every column along y. Box weights (area covered) where an axis shrinks,
    /// bilinear (pixel centres aligned) where it grows.</summary>
    private static float[] TwoPassResize(float[] src, int w, int h, int nw, int nh)
    {
        var wx = Weights(w, nw);
        var wy = Weights(h, nh);
        var rows = new float[h * nw];
        for (int y = 0; y < h; y++)
        for (int x = 0; x < nw; x++)
        {
            float s = 0;
            foreach (var (k, weight) in wx[x]) s += weight * src[y * w + k];
            rows[y * nw + x] = s;
        }
        var dst = new float[nh * nw];
        for (int y = 0; y < nh; y++)
        for (int x = 0; x < nw; x++)
        {
            float s = 0;
            foreach (var (k, weight) in wy[y]) s += weight * rows[k * nw + x];
            dst[y * nw + x] = s;
        }
        return dst;
    }

    private static List<(int Index, float Weight)>[] Weights(int n, int m)
    {
        var result = new List<(int, float)>[m];
        double ratio = (double)n / m;
        for (int j = 0; j < m; j++)
        {
            var list = result[j] = [];
            if (m <= n)
            {
                double a = j * ratio, b = (j + 1) * ratio;
                for (int k = (int)Math.Floor(a); k < Math.Min(n, (int)Math.Ceiling(b)); k++)
                {
                    double cover = Math.Min(b, k + 1) - Math.Max(a, k);
                    if (cover > 1e-9) list.Add((k, (float)(cover / ratio)));
                }
            }
            else
            {
                double s = Math.Clamp((j + 0.5) * ratio - 0.5, 0, n - 1);
                int k = Math.Min((int)s, n - 2 < 0 ? 0 : n - 2);
                double t = s - k;
                list.Add((k, (float)(1 - t)));
                if (n > 1) list.Add((k + 1, (float)t));
            }
        }
        return result;
    }
}
