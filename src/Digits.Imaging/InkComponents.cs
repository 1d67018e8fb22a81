namespace Digits.Imaging;

/// <summary>Connected pieces of ink in a mask (8-neighbours): finding them, clearing ruled lines, and choosing the
/// digit among them.</summary>
internal static class InkComponents
{
    /// <summary>A connected piece of ink (8-neighbours): its pixels' indices and bounding box.</summary>
    internal sealed record Component(List<int> Pixels, int X0, int Y0, int X1, int Y1)
    {
        public int Width => X1 - X0 + 1;
        public int Height => Y1 - Y0 + 1;
    }

    internal static List<Component> Find(bool[] mask, int w, int h)
    {
        var seen = new bool[mask.Length];
        var result = new List<Component>();
        var stack = new Stack<int>();
        for (int start = 0; start < mask.Length; start++)
        {
            if (!mask[start] || seen[start]) continue;
            var pixels = new List<int>();
            int x0 = w, y0 = h, x1 = -1, y1 = -1;
            seen[start] = true;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int i = stack.Pop();
                pixels.Add(i);
                int x = i % w, y = i / w;
                x0 = Math.Min(x0, x); x1 = Math.Max(x1, x); y0 = Math.Min(y0, y); y1 = Math.Max(y1, y);
                for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                {
                    int xx = x + dx, yy = y + dy;
                    if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
                    int j = yy * w + xx;
                    if (mask[j] && !seen[j]) { seen[j] = true; stack.Push(j); }
                }
            }
            result.Add(new Component(pixels, x0, y0, x1, y1));
        }
        return result;
    }

    /// <summary>Clears ruled lines: a component wider than half the picture that is thin for its width (or taller than
    /// half and thin) is a line; its band (a straight line fitted through the columns where it is only line) is cleared
    /// except where ink continues on both sides of it — a stroke crossing the line.</summary>
    internal static void RemoveRuledLines(bool[] mask, int w, int h)
    {
        foreach (var c in Find(mask, w, h))
        {
            bool horizontal = c.Width > w / 2 && c.Pixels.Count < 0.25 * c.Width * Math.Min(c.Height, h / 4.0);
            if (!horizontal) continue;
            // per column: the count and mean row of this component's pixels
            var count = new int[c.Width];
            var sumY = new double[c.Width];
            foreach (int i in c.Pixels) { count[i % w - c.X0]++; sumY[i % w - c.X0] += i / w; }
            var sorted = count.Where(n => n > 0).Order().ToArray();
            int thickness = sorted[sorted.Length / 2];
            // fit y = a + b·x through the columns that hold only the line
            double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
            for (int k = 0; k < c.Width; k++)
            {
                if (count[k] == 0 || count[k] > thickness + 1) continue;
                double x = c.X0 + k, y = sumY[k] / count[k];
                n++; sx += x; sy += y; sxx += x * x; sxy += x * y;
            }
            if (n < 2) continue;
            double slope = (n * sxy - sx * sy) / Math.Max(1e-9, n * sxx - sx * sx), icept = (sy - slope * sx) / n;
            int half = thickness / 2 + 1;
            for (int x = c.X0; x <= c.X1; x++)
            {
                int centre = (int)Math.Round(icept + slope * x);
                bool above = Ink(mask, w, h, x, centre - half - 2), below = Ink(mask, w, h, x, centre + half + 2);
                if (above && below) continue;
                for (int y = centre - half; y <= centre + half; y++)
                    if (y >= 0 && y < h) mask[y * w + x] = false;
            }
        }
    }

    private static bool Ink(bool[] mask, int w, int h, int x, int y) => x >= 0 && y >= 0 && x < w && y < h && mask[y * w + x];

    /// <summary>The digit: the largest component (preferring ones that do not touch the picture's edge), with every
    /// other component of at least 3 % of its size lying within a quarter of the digit's size of its box; null when
    /// the largest is a speck (under 12 pixels, or under 1/4000 of the picture).</summary>
    internal static bool[]? ChooseDigit(bool[] mask, int w, int h)
    {
        var parts = Find(mask, w, h);
        if (parts.Count == 0) return null;
        bool Edge(Component c) => c.X0 == 0 || c.Y0 == 0 || c.X1 == w - 1 || c.Y1 == h - 1;
        var inner = parts.Where(c => !Edge(c)).ToList();
        var main = (inner.Count > 0 && inner.Max(c => c.Pixels.Count) >= 0.2 * parts.Max(c => c.Pixels.Count) ? inner : parts)
            .MaxBy(c => c.Pixels.Count)!;
        if (main.Pixels.Count < Math.Max(12, (long)w * h / 4000)) return null;
        var chosen = new List<Component> { main };
        int x0 = main.X0, y0 = main.Y0, x1 = main.X1, y1 = main.Y1;
        for (bool grew = true; grew;)
        {
            grew = false;
            int margin = Math.Max(x1 - x0, y1 - y0) / 4 + 1;
            foreach (var c in parts)
            {
                if (chosen.Contains(c) || c.Pixels.Count < 0.03 * main.Pixels.Count) continue;
                if (c.X1 < x0 - margin || c.X0 > x1 + margin || c.Y1 < y0 - margin || c.Y0 > y1 + margin) continue;
                chosen.Add(c);
                (x0, y0, x1, y1) = (Math.Min(x0, c.X0), Math.Min(y0, c.Y0), Math.Max(x1, c.X1), Math.Max(y1, c.Y1));
                grew = true;
            }
        }
        var result = new bool[mask.Length];
        foreach (var c in chosen) foreach (int i in c.Pixels) result[i] = true;
        return result;
    }
}
