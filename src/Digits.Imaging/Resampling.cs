namespace Digits.Imaging;

/// <summary>Resampling of gray or ink levels: box filter (area average) where a picture shrinks, bilinear where it
/// enlarges.</summary>
public static class Resampling
{
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
}
