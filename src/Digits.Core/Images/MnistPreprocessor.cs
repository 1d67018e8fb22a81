using System.Text;

namespace Digits.Core.Images;

/// <summary>
/// Turns an arbitrary picture of one digit — a scan, a drawing, or a phone photo of paper — into what an MNIST model
/// expects. First the picture is made clean (<see cref="FindInk"/>): shrunk to at most <see cref="WorkingSide"/>
/// pixels a side; made dark-ink-on-light (inverted when most of it is dark); the paper's brightness estimated as a
/// smooth surface (a quadratic fitted to each cell's bright level, cells of ink rejected as outliers) and divided out,
/// which removes uneven light whatever the ink's colour; a light blur against noise and paper texture; ink
/// thresholded, ruled lines (long thin components) removed, and the digit picked as the largest connected ink with
/// what lies near it. Then MNIST's own recipe (LeCun, Bottou, Bengio, Haffner 1998; yann.lecun.com/exdb/mnist):
/// cropped to the ink's bounding box; strokes thickened where the scaling would leave them thinner than MNIST's; the
/// longer side scaled to 20 pixels keeping the aspect ratio (box-filter area averaging when shrinking, bilinear when
/// enlarging); placed in a 28×28 field so that the center of mass lies at (14, 14), shifted no further than keeps the
/// whole digit inside. A picture with no ink that stands out from the paper gives <see cref="Prepared.Problem"/>.
/// </summary>
public static class MnistPreprocessor
{
    /// <summary>The field's side, 28 pixels.</summary>
    public const int Side = 28;

    /// <summary>The longer side of the digit's box after scaling, 20 pixels.</summary>
    public const int Box = 20;

    /// <summary>Ink below this level (1 = as dark as ink gets, 0 = paper) is not ink: it must be 20 % darker than
    /// the paper around it.</summary>
    public const float InkThreshold = 0.2f;

    /// <summary>Pictures are shrunk to at most this many pixels a side before they are cleaned (a 4000×3000 photo to
    /// 640×480), which bounds the time and memory of everything after decoding.</summary>
    public const int WorkingSide = 640;

    /// <summary>The thinnest stroke, in pixels of the 20-pixel box, that the digit is given (MNIST's pen strokes are
    /// about 2–3 pixels wide there); thinner strokes are thickened.</summary>
    public const double MinStroke = 2.0;

    /// <summary>What the model gets: <see cref="Field"/> (28·28) row-major ink levels in [0, 1], 1 = ink, and a
    /// <see cref="Problem"/> when no digit was found (then the field is all zeros).</summary>
    public sealed record Prepared(float[] Field, string? Problem);

    /// <summary>Preprocesses <paramref name="image"/>; returns (28·28) row-major ink levels in [0, 1], 1 = ink.
    /// An image with no ink gives all zeros.</summary>
    public static float[] Process(GrayImage image) => Prepare(image).Field;

    /// <summary>Preprocesses <paramref name="image"/>, saying why when no digit is found.</summary>
    public static Prepared Prepare(GrayImage image)
    {
        var (ink, w, h, problem) = FindInk(image);
        return problem is not null ? new Prepared(new float[Side * Side], problem) : Fit(ink, w, h);
    }

    /// <summary>Reads a written number: its digits left to right, each made MNIST-like on its own (empty with the
    /// reason when none is found). Ink pieces that overlap in x by half the narrower one's width are one digit (a 5's
    /// detached bar, a broken stroke); specks under 2 % of the largest piece, and pieces under 10 % of it that lie
    /// beside every digit, are dropped. Digits that touch are not split.</summary>
    public static (List<Prepared> Digits, string? Problem) PrepareNumber(GrayImage image)
    {
        var (ink, mask, w, h, problem) = Clean(image);
        if (problem is not null) return ([], problem);
        var parts = Components(mask, w, h);
        if (parts.Count == 0) return ([], "no ink stands out from the background (is there a number?)");
        int largest = parts.Max(c => c.Pixels.Count);
        if (largest < Math.Max(12, (long)w * h / 4000)) return ([], "no digit found: only specks stand out from the background");
        static int Overlap(int a0, int a1, int b0, int b1) => Math.Min(a1, b1) - Math.Max(a0, b0) + 1;
        var groups = new List<(int X0, int X1, List<Component> Parts)>();
        foreach (var c in parts.Where(c => c.Pixels.Count >= 0.1 * largest).OrderBy(c => c.X0))
        {
            int k = groups.FindIndex(g => Overlap(g.X0, g.X1, c.X0, c.X1) >= 0.5 * Math.Min(g.X1 - g.X0 + 1, c.Width));
            if (k < 0) groups.Add((c.X0, c.X1, [c]));
            else groups[k] = (Math.Min(groups[k].X0, c.X0), Math.Max(groups[k].X1, c.X1), [.. groups[k].Parts, c]);
        }
        foreach (var c in parts.Where(c => c.Pixels.Count < 0.1 * largest && c.Pixels.Count >= 0.02 * largest))
        {
            int best = -1, most = 0;
            for (int k = 0; k < groups.Count; k++)
            {
                int o = Overlap(groups[k].X0, groups[k].X1, c.X0, c.X1);
                if (o > most) (best, most) = (k, o);
            }
            if (best >= 0) groups[best].Parts.Add(c);
        }
        var digits = new List<Prepared>();
        foreach (var g in groups.OrderBy(g => g.X0))
        {
            var chosen = new bool[mask.Length];
            foreach (var c in g.Parts) foreach (int i in c.Pixels) chosen[i] = true;
            digits.Add(Fit(KeepOnly(ink, chosen, w, h), w, h));
        }
        return (digits, null);
    }

    /// <summary>MNIST's recipe on ink levels (Height·Width, 1 = ink) of one digit: crop, thicken, 20 px box, centre of
    /// mass at the centre of 28×28.</summary>
    public static Prepared Fit(float[] ink, int w, int h)
    {
        var field = new float[Side * Side];
        int x0 = w, y0 = h, x1 = -1, y1 = -1;
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (ink[y * w + x] >= InkThreshold)
            {
                x0 = Math.Min(x0, x); x1 = Math.Max(x1, x);
                y0 = Math.Min(y0, y); y1 = Math.Max(y1, y);
            }
        if (x1 < 0) return new Prepared(field, "no ink stands out from the background");
        int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
        double scale = (double)Box / Math.Max(bw, bh);
        int nw = Math.Clamp((int)Math.Round(bw * scale), 1, Box), nh = Math.Clamp((int)Math.Round(bh * scale), 1, Box);
        var crop = new float[bw * bh];
        for (int y = 0; y < bh; y++) Array.Copy(ink, (y0 + y) * w + x0, crop, y * bw, bw);
        crop = Thicken(crop, bw, bh, scale);
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
        return new Prepared(field, null);
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

    /// <summary>The digit's ink at working scale: (Height, Width) levels in [0, 1] (1 = ink, 0 elsewhere, everything
    /// but the chosen digit cleared), its width and height, or why there is no digit.</summary>
    public static (float[] Ink, int Width, int Height, string? Problem) FindInk(GrayImage image)
    {
        var (ink, mask, w, h, problem) = Clean(image);
        if (problem is not null) return (ink, w, h, problem);
        var chosen = ChooseDigit(mask, w, h);
        if (chosen is null) return (new float[ink.Length], w, h, "no digit found: only specks or lines stand out from the background");
        return (KeepOnly(ink, chosen, w, h), w, h, null);
    }

    /// <summary>Keeps the chosen ink and its soft edges (two pixels around), stretched so its 95th percentile is 1.
    /// </summary>
    private static float[] KeepOnly(float[] ink, bool[] chosen, int w, int h)
    {
        var keep = Dilate(chosen, w, h, 2);
        var inside = new List<float>();
        for (int i = 0; i < ink.Length; i++)
            if (chosen[i]) inside.Add(ink[i]);
        inside.Sort();
        float top = Math.Max(inside[(int)(0.95 * (inside.Count - 1))], 1e-3f);
        var result = new float[ink.Length];
        for (int i = 0; i < ink.Length; i++)
            result[i] = keep[i] ? Math.Clamp(ink[i] / top, 0f, 1f) : 0f;
        return result;
    }

    /// <summary>The picture at working scale as ink levels (1 = ink) with its ink mask, ruled lines cleared; or why
    /// nothing stands out.</summary>
    private static (float[] Ink, bool[] Mask, int Width, int Height, string? Problem) Clean(GrayImage image)
    {
        int w = image.Width, h = image.Height;
        var gray = image.Pixels;
        if (Math.Max(w, h) > WorkingSide)
        {
            double s = (double)WorkingSide / Math.Max(w, h);
            int nw = Math.Max(1, (int)Math.Round(w * s)), nh = Math.Max(1, (int)Math.Round(h * s));
            gray = Resize(gray, w, h, nw, nh);
            (w, h) = (nw, nh);
        }
        // dark ink on light paper: invert a picture that is mostly dark (white ink on black, as MNIST stores it)
        var sorted = (float[])gray.Clone();
        Array.Sort(sorted);
        bool invert = sorted[sorted.Length / 2] < 0.5f;
        var paper = new float[gray.Length];
        for (int i = 0; i < gray.Length; i++) paper[i] = invert ? 1 - gray[i] : gray[i];
        var background = Background(paper, w, h);
        var ink = new float[paper.Length];
        for (int i = 0; i < ink.Length; i++)
            ink[i] = background[i] > 1e-3f ? Math.Clamp(1 - paper[i] / background[i], 0f, 1f) : 0f;
        // the mask is found on a blurred copy (against sensor noise and paper texture; not on tiny images), the
        // digit's levels are taken from the sharp one
        var smooth = Math.Min(w, h) >= 48 ? Blur(ink, w, h) : ink;
        float max = smooth.Max();
        if (max < InkThreshold) return (ink, new bool[ink.Length], w, h, "no ink stands out from the background (is there a digit?)");
        float threshold = Math.Max(InkThreshold, 0.4f * max);
        var mask = new bool[ink.Length];
        for (int i = 0; i < ink.Length; i++) mask[i] = smooth[i] >= threshold;
        RemoveRuledLines(mask, w, h);
        return (ink, mask, w, h, null);
    }

    /// <summary>The paper's brightness at every pixel: the image cut into cells about 1/12 of its longer side, each
    /// cell's 90th-percentile level (paper, unless the cell is all ink) fitted by a quadratic surface in x and y, cells
    /// well below the fit dropped and the fit repeated. Smooth light (a gradient, a vignette, a shadow's edge
    /// far from the digit) is what a quadratic can follow.</summary>
    private static float[] Background(float[] paper, int w, int h)
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

    /// <summary>A 3×3 binomial blur (1 2 1 / 4, each axis).</summary>
    private static float[] Blur(float[] src, int w, int h)
    {
        var rows = new float[src.Length];
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            rows[y * w + x] = 0.25f * src[y * w + Math.Max(0, x - 1)] + 0.5f * src[y * w + x] + 0.25f * src[y * w + Math.Min(w - 1, x + 1)];
        var dst = new float[src.Length];
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            dst[y * w + x] = 0.25f * rows[Math.Max(0, y - 1) * w + x] + 0.5f * rows[y * w + x] + 0.25f * rows[Math.Min(h - 1, y + 1) * w + x];
        return dst;
    }

    private static bool[] Dilate(bool[] mask, int w, int h, int r)
    {
        var dst = new bool[mask.Length];
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            if (!mask[y * w + x]) continue;
            for (int dy = -r; dy <= r; dy++)
            for (int dx = -r; dx <= r; dx++)
            {
                int yy = y + dy, xx = x + dx;
                if (yy >= 0 && yy < h && xx >= 0 && xx < w) dst[yy * w + xx] = true;
            }
        }
        return dst;
    }

    /// <summary>A connected piece of ink (8-neighbours): its pixels' indices and bounding box.</summary>
    private sealed record Component(List<int> Pixels, int X0, int Y0, int X1, int Y1)
    {
        public int Width => X1 - X0 + 1;
        public int Height => Y1 - Y0 + 1;
    }

    private static List<Component> Components(bool[] mask, int w, int h)
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
    private static void RemoveRuledLines(bool[] mask, int w, int h)
    {
        foreach (var c in Components(mask, w, h))
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
    private static bool[]? ChooseDigit(bool[] mask, int w, int h)
    {
        var parts = Components(mask, w, h);
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

    /// <summary>Ink levels (1 = ink): inverted when the border is lighter than mid-gray, then the border's mean
    /// level is taken as background (→ 0) and the darkest ink stretched to 1. The plain recipe, for clean pictures;
    /// <see cref="FindInk"/> is what <see cref="Prepare"/> uses.</summary>
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
