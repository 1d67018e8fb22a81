namespace Digits.Imaging;

/// <summary>A picture given one row at a time, top to bottom, so that a large one can be shrunk without being held
/// whole as floats (<see cref="Resampling.ShrinkToFit"/>). A decoder's source may be a <c>ref struct</c> over the
/// file's bytes.</summary>
public interface IRowSource
{
    /// <summary>Writes row <paramref name="y"/>'s levels into <paramref name="row"/> (one per column). Called for
    /// y = 0, 1, … in order, each row once.</summary>
    void Read(int y, Span<float> row);
}

/// <summary>Resampling of gray or ink levels: box filter (area average) where a picture shrinks, bilinear where it
/// enlarges.</summary>
public static class Resampling
{
    /// <summary>Resamples (h, w) to (nh, nw), each axis separately: box filter (area average) where it shrinks,
    /// bilinear (pixel centers aligned) where it enlarges.</summary>
    /// <exception cref="ArgumentException"><paramref name="src"/> does not hold w·h levels.</exception>
    public static float[] Resize(float[] src, int w, int h, int nw, int nh)
    {
        if (src.Length != (long)w * h)
            throw new ArgumentException($"a {w}×{h} picture needs {(long)w * h} levels, got {src.Length}", nameof(src));
        return Resize(new ArrayRows(src, w), w, h, nw, nh);
    }

    /// <summary><see cref="Resize(float[], int, int, int, int)"/> of the (h, w) picture <paramref name="rows"/> gives,
    /// reading it once, top to bottom: each source row is filtered along x, then added with its weight into the output
    /// rows it covers, in the same order as the whole-picture loops add them, so the result is the same bit for bit.
    /// Holds one source row and the (nh, nw) result.</summary>
    public static float[] Resize<TRows>(TRows rows, int w, int h, int nw, int nh) where TRows : IRowSource, allows ref struct
    {
        var wx = Weights(w, nw);
        var wy = Weights(h, nh);
        // for each source row, the output rows it contributes to (ascending) and with what weight
        var into = new List<(int Out, float Weight)>[h];
        for (int y = 0; y < nh; y++)
            foreach (var (k, weight) in wy[y]) (into[k] ??= []).Add((y, weight));
        var row = new float[w];
        var filtered = new float[nw];
        var dst = new float[nh * nw];
        for (int k = 0; k < h; k++)
        {
            rows.Read(k, row);
            if (into[k] is not { } targets) continue;
            for (int x = 0; x < nw; x++)
            {
                float s = 0;
                foreach (var (i, weight) in wx[x]) s += weight * row[i];
                filtered[x] = s;
            }
            foreach (var (y, weight) in targets)
                for (int x = 0; x < nw; x++) dst[y * nw + x] += weight * filtered[x];
        }
        return dst;
    }

    /// <summary>The size a (w, h) picture is shrunk to so that neither side exceeds <paramref name="side"/>, keeping
    /// its aspect ratio (each side at least 1); (w, h) itself when it fits.</summary>
    public static (int Width, int Height) FitInside(int w, int h, int side)
    {
        if (Math.Max(w, h) <= side) return (w, h);
        double s = (double)side / Math.Max(w, h);
        return (Math.Max(1, (int)Math.Round(w * s)), Math.Max(1, (int)Math.Round(h * s)));
    }

    /// <summary>The picture <paramref name="rows"/> gives, shrunk by <see cref="Resize{TRows}"/> to
    /// <see cref="FitInside"/> <paramref name="maxSide"/> (or read as it is when it fits): never more than one source
    /// row is held, so decoding a 16384×4000 picture this way costs the small result, not 262 MB of floats.</summary>
    public static GrayImage ShrinkToFit<TRows>(TRows rows, int w, int h, int maxSide) where TRows : IRowSource, allows ref struct
    {
        var (nw, nh) = FitInside(w, h, maxSide);
        if (nw != w || nh != h) return new GrayImage(nw, nh, Resize(rows, w, h, nw, nh));
        var pixels = new float[(long)w * h];
        for (int y = 0; y < h; y++) rows.Read(y, pixels.AsSpan(y * w, w));
        return new GrayImage(w, h, pixels);
    }

    private readonly struct ArrayRows(float[] src, int w) : IRowSource
    {
        public void Read(int y, Span<float> row) => src.AsSpan(y * w, w).CopyTo(row);
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
