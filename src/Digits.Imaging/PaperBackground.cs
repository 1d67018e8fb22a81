namespace Digits.Imaging;

/// <summary>The paper's brightness under a picture, as a smooth surface (a quadratic in x and y) fitted to the bright
/// level of cells, cells of ink rejected as outliers: what <see cref="PhotoCleanup"/> divides out.</summary>
internal static class PaperBackground
{
    /// <summary>The paper's brightness at every pixel: the image cut into cells about 1/12 of its longer side, each
    /// cell's 90th-percentile level (paper, unless the cell is all ink) fitted by a quadratic surface in x and y, cells
    /// well below the fit dropped and the fit repeated. Smooth light (a gradient, a vignette, a shadow's edge
    /// far from the digit) is what a quadratic can follow.</summary>
    internal static float[] Estimate(float[] paper, int w, int h)
    {
        int cell = Math.Max(4, Math.Max(w, h) / 12);
        var samples = new List<(double X, double Y, double V)>();
        var values = new List<float>();
        for (int cy = 0; cy < h; cy += cell)
        for (int cx = 0; cx < w; cx += cell)
        {
            values.Clear();
            for (int y = cy; y < Math.Min(h, cy + cell); y++)
            for (int x = cx; x < Math.Min(w, cx + cell); x++) values.Add(paper[y * w + x]);
            values.Sort();
            double v = values[(int)(0.9 * (values.Count - 1))];
            samples.Add(((cx + Math.Min(w, cx + cell)) / 2.0 / w - 0.5, (cy + Math.Min(h, cy + cell)) / 2.0 / h - 0.5, v));
        }
        double[] coef = [samples.Select(s => s.V).Max(), 0, 0, 0, 0, 0];
        var used = samples;
        for (int round = 0; round < 4 && used.Count >= 6; round++)
        {
            coef = FitQuadratic(used);
            var fit = coef;
            var next = samples.Where(s => s.V >= 0.85 * Eval(fit, s.X, s.Y)).ToList();
            if (next.Count < 6 || next.Count == used.Count) break;
            used = next;
        }
        if (used.Count < 6) coef = [used.Count > 0 ? used.Max(s => s.V) : 1, 0, 0, 0, 0, 0];
        var background = new float[paper.Length];
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            background[y * w + x] = (float)Math.Max(1e-3, Eval(coef, (x + 0.5) / w - 0.5, (y + 0.5) / h - 0.5));
        return background;
    }

    private static double Eval(double[] c, double x, double y) => c[0] + c[1] * x + c[2] * y + c[3] * x * x + c[4] * x * y + c[5] * y * y;

    /// <summary>Least squares for v ≈ c0 + c1·x + c2·y + c3·x² + c4·xy + c5·y² (normal equations, Gaussian
    /// elimination with partial pivoting; a tiny ridge keeps degenerate layouts solvable).</summary>
    private static double[] FitQuadratic(List<(double X, double Y, double V)> samples)
    {
        var a = new double[6, 7];
        foreach (var (x, y, v) in samples)
        {
            double[] f = [1, x, y, x * x, x * y, y * y];
            for (int i = 0; i < 6; i++)
            {
                for (int j = 0; j < 6; j++) a[i, j] += f[i] * f[j];
                a[i, 6] += f[i] * v;
            }
        }
        for (int i = 1; i < 6; i++) a[i, i] += 1e-6 * samples.Count;
        for (int col = 0; col < 6; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < 6; r++) if (Math.Abs(a[r, col]) > Math.Abs(a[pivot, col])) pivot = r;
            for (int k = 0; k < 7; k++) (a[col, k], a[pivot, k]) = (a[pivot, k], a[col, k]);
            if (Math.Abs(a[col, col]) < 1e-12) continue;
            for (int r = 0; r < 6; r++)
            {
                if (r == col) continue;
                double f = a[r, col] / a[col, col];
                for (int k = col; k < 7; k++) a[r, k] -= f * a[col, k];
            }
        }
        var c = new double[6];
        for (int i = 0; i < 6; i++) c[i] = Math.Abs(a[i, i]) < 1e-12 ? 0 : a[i, 6] / a[i, i];
        return c;
    }
}
