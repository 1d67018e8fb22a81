using System.Text;

namespace Digits.Core.Images;

/// <summary>
/// Turns an arbitrary picture of one digit into what an MNIST model expects, following how MNIST itself was
/// made (LeCun, Bottou, Bengio, Haffner 1998; yann.lecun.com/exdb/mnist): gray levels; white ink on black
/// (inverted when the border is light, the background level subtracted and the ink stretched to reach 1);
/// cropped to the ink's bounding box; the longer side scaled to 20 pixels keeping the aspect ratio (box-filter
/// area averaging when shrinking, bilinear when enlarging); placed in a 28×28 field so that the center of mass
/// lies at (14, 14), shifted no further than keeps the whole digit inside.
/// </summary>
public static class MnistPreprocessor
{
    /// <summary>The field's side, 28 pixels.</summary>
    public const int Side = 28;

    /// <summary>The longer side of the digit's box after scaling, 20 pixels.</summary>
    public const int Box = 20;

    /// <summary>Ink below this level (after background removal) does not count toward the bounding box.</summary>
    public const float InkThreshold = 0.2f;

    /// <summary>Preprocesses <paramref name="image"/>; returns (28·28) row-major ink levels in [0, 1], 1 = ink.
    /// An image with no ink gives all zeros.</summary>
    public static float[] Process(GrayImage image)
    {
        var ink = ToInk(image);
        int w = image.Width, h = image.Height;
        int x0 = w, y0 = h, x1 = -1, y1 = -1;
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (ink[y * w + x] >= InkThreshold)
            {
                x0 = Math.Min(x0, x); x1 = Math.Max(x1, x);
                y0 = Math.Min(y0, y); y1 = Math.Max(y1, y);
            }
        var field = new float[Side * Side];
        if (x1 < 0) return field;
        int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
        double scale = (double)Box / Math.Max(bw, bh);
        int nw = Math.Clamp((int)Math.Round(bw * scale), 1, Box), nh = Math.Clamp((int)Math.Round(bh * scale), 1, Box);
        var crop = new float[bw * bh];
        for (int y = 0; y < bh; y++) Array.Copy(ink, (y0 + y) * w + x0, crop, y * bw, bw);
        var scaled = Resize(crop, bw, bh, nw, nh);

        double mass = 0, mx = 0, my = 0;
        for (int y = 0; y < nh; y++)
        for (int x = 0; x < nw; x++)
        {
            double v = scaled[y * nw + x];
            mass += v; mx += v * x; my += v * y;
        }
        int ox = (Side - nw) / 2, oy = (Side - nh) / 2;
        if (mass > 0)
        {
            ox = Math.Clamp((int)Math.Round(Side / 2.0 - mx / mass), 0, Side - nw);
            oy = Math.Clamp((int)Math.Round(Side / 2.0 - my / mass), 0, Side - nh);
        }
        for (int y = 0; y < nh; y++)
        for (int x = 0; x < nw; x++)
            field[(oy + y) * Side + ox + x] = Math.Clamp(scaled[y * nw + x], 0f, 1f);
        return field;
    }

    /// <summary>Ink levels (1 = ink): inverted when the border is lighter than mid-gray, then the border's mean
    /// level is taken as background (→ 0) and the darkest ink stretched to 1.</summary>
    public static float[] ToInk(GrayImage image)
    {
        int w = image.Width, h = image.Height;
        double sum = 0;
        int count = 0;
        for (int x = 0; x < w; x++) { sum += image[x, 0] + image[x, h - 1]; count += 2; }
        for (int y = 1; y < h - 1; y++) { sum += image[0, y] + image[w - 1, y]; count += 2; }
        bool invert = sum / count > 0.5;
        float background = (float)(invert ? 1 - sum / count : sum / count);
        var ink = new float[w * h];
        float max = 0;
        for (int i = 0; i < ink.Length; i++)
        {
            ink[i] = invert ? 1 - image.Pixels[i] : image.Pixels[i];
            max = Math.Max(max, ink[i]);
        }
        float range = max - background;
        for (int i = 0; i < ink.Length; i++)
            ink[i] = range > 1e-3f ? Math.Clamp((ink[i] - background) / range, 0f, 1f) : 0f;
        return ink;
    }

    /// <summary>Resamples (h, w) to (nh, nw), each axis separately: box filter (area average) where it shrinks,
    /// bilinear (pixel centers aligned) where it enlarges.</summary>
    public static float[] Resize(float[] src, int w, int h, int nw, int nh)
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

    /// <summary>For each output index, the source indices and weights (summing to 1) that make it.</summary>
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

    /// <summary>A (28·28) field as 28 lines of text, darkest to most ink along " .:-=+*#%@".</summary>
    public static string ToAscii(ReadOnlySpan<float> field)
    {
        const string ramp = " .:-=+*#%@";
        var text = new StringBuilder();
        for (int y = 0; y < Side; y++)
        {
            for (int x = 0; x < Side; x++)
                text.Append(ramp[Math.Clamp((int)(field[y * Side + x] * ramp.Length), 0, ramp.Length - 1)]);
            text.Append('\n');
        }
        return text.ToString();
    }
}
