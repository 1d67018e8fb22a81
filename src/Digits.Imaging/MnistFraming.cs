namespace Digits.Imaging;

/// <summary>
/// MNIST's own recipe (LeCun, Bottou, Bengio, Haffner 1998; yann.lecun.com/exdb/mnist) on one digit's ink: cropped to
/// the ink's bounding box; strokes thickened where the scaling would leave them thinner than MNIST's; the longer side
/// scaled to <see cref="Box"/> pixels keeping the aspect ratio (<see cref="Resampling.Resize"/>); placed in a
/// <see cref="Side"/>×<see cref="Side"/> field so that the center of mass lies at its center, shifted no further than
/// keeps the whole digit inside.
/// </summary>
public static class MnistFraming
{
    /// <summary>The field's side, 28 pixels.</summary>
    public const int Side = 28;

    /// <summary>The longer side of the digit's box after scaling, 20 pixels.</summary>
    public const int Box = 20;

    /// <summary>The thinnest stroke, in pixels of the 20-pixel box, that the digit is given (MNIST's pen strokes are
    /// about 2–3 pixels wide there); thinner strokes are thickened.</summary>
    public const double MinStroke = 2.0;

    /// <summary>MNIST's recipe on ink levels (Height·Width, 1 = ink) of one digit: crop, thicken, 20 px box, centre of
    /// mass at the centre of 28×28.</summary>
    public static PreparedDigit Fit(float[] ink, int w, int h)
    {
        var field = new float[Side * Side];
        int x0 = w, y0 = h, x1 = -1, y1 = -1;
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (ink[y * w + x] >= PhotoCleanup.InkThreshold)
            {
                x0 = Math.Min(x0, x); x1 = Math.Max(x1, x);
                y0 = Math.Min(y0, y); y1 = Math.Max(y1, y);
            }
        if (x1 < 0) return new PreparedDigit(field, "no ink stands out from the background");
        int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
        double scale = (double)Box / Math.Max(bw, bh);
        int nw = Math.Clamp((int)Math.Round(bw * scale), 1, Box), nh = Math.Clamp((int)Math.Round(bh * scale), 1, Box);
        var crop = new float[bw * bh];
        for (int y = 0; y < bh; y++) Array.Copy(ink, (y0 + y) * w + x0, crop, y * bw, bw);
        crop = Thicken(crop, bw, bh, scale);
        var scaled = Resampling.Resize(crop, bw, bh, nw, nh);

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
        return new PreparedDigit(field, null);
    }

    /// <summary>Thickens the strokes of <paramref name="crop"/> (a max filter) when at <paramref name="scale"/> they
    /// would be thinner than <see cref="MinStroke"/>; the stroke width is estimated as 2·area / boundary length.</summary>
    private static float[] Thicken(float[] crop, int w, int h, double scale)
    {
        long area = 0, boundary = 0;
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            if (crop[y * w + x] < 0.5f) continue;
            area++;
            if (x == 0 || y == 0 || x == w - 1 || y == h - 1 || crop[y * w + x - 1] < 0.5f || crop[y * w + x + 1] < 0.5f ||
                crop[(y - 1) * w + x] < 0.5f || crop[(y + 1) * w + x] < 0.5f)
                boundary++;
        }
        if (area == 0 || boundary == 0) return crop;
        double stroke = 2.0 * area / boundary;
        int radius = (int)Math.Round((MinStroke / scale - stroke) / 2);
        if (radius < 1) return crop;
        return MaxFilter(crop, w, h, Math.Min(radius, 16));
    }

    private static float[] MaxFilter(float[] src, int w, int h, int r)
    {
        var rows = new float[src.Length];
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            float m = 0;
            for (int k = Math.Max(0, x - r); k <= Math.Min(w - 1, x + r); k++) m = Math.Max(m, src[y * w + k]);
            rows[y * w + x] = m;
        }
        var dst = new float[src.Length];
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            float m = 0;
            for (int k = Math.Max(0, y - r); k <= Math.Min(h - 1, y + r); k++) m = Math.Max(m, rows[k * w + x]);
            dst[y * w + x] = m;
        }
        return dst;
    }
}
