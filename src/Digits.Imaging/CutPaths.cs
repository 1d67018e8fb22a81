namespace Digits.Imaging;

/// <summary>
/// Where a piece of ink that may hold touching digits can be cut, two kinds of top-to-bottom path:
/// <list type="bullet">
/// <item>paths that cross the fewest ink pixels, each found by dynamic programming in a narrow band (one step left,
/// straight or right per row) — the shortest-path cut of Wang and Jean, "Segmentation of merged characters by neural
/// networks and shortest path" (Pattern Recognition 27(5), 1994). Bands are upright or slanted as handwriting leans
/// (<see cref="Slants"/>), one through every column of the piece's middle row; a path through less ink than those of
/// its neighbouring columns is a candidate;</item>
/// <item>drop-fall paths (<see cref="Drops"/>): a drop let fall from the top or the bottom rolls around the ink it
/// meets and cuts through only where it is held — Congedo, Dimauro, Impedovo and Pirlo, "Segmentation of numeric
/// strings" (ICDAR 1995). They follow the outline of digits that overlap, where a band's straight path cuts a stroke
/// off one of them.</item>
/// </list>
/// Which cuts are taken is for <see cref="NumberSegmentation"/> and its classifier to decide.
/// </summary>
internal static class CutPaths
{
    /// <summary>Pieces narrower than this share of the number's line height are never cut.</summary>
    public const double MinWidth = 0.45;

    /// <summary>Pieces less tall than this share of the line height are never cut: digits that touch make a piece as
    /// tall as a digit, a broken digit's fragments are shorter.</summary>
    public const double MinHeight = 0.6;

    /// <summary>A path keeps at least this share of the line height inside the piece's ends.</summary>
    public const double EndMargin = 0.1;

    /// <summary>A path strays at most this share of the line height from its band's line.</summary>
    public const double Band = 0.1;

    /// <summary>The slants of the bands' lines, in columns per row (positive: the top to the right, as MNIST's digits
    /// lean).</summary>
    public static readonly double[] Slants = [-0.35, 0, 0.35];

    /// <summary>A path's cost per column it moves sideways, in ink pixels: of two paths through as much ink, the
    /// straighter one.</summary>
    private const double SideStep = 0.1;

    /// <summary>How far, in pixels, a path strays from its band's line when the digits are <paramref name="line"/>
    /// pixels tall.</summary>
    public static int BandWidth(double line) => Math.Max(2, (int)Math.Round(Band * line));

    /// <summary>The candidate cuts of <paramref name="piece"/> (ink <paramref name="mask"/>, <paramref name="w"/>
    /// pixels a row) in a number whose digits are <paramref name="line"/> pixels tall: for each, the path's column on
    /// every row of the piece (Y0 to Y1) and the ink pixels it crosses. None when the piece is too narrow or too short
    /// to hold two digits (<see cref="MinWidth"/>, <see cref="MinHeight"/>).</summary>
    public static List<(int[] Path, double Ink)> Find(bool[] mask, int w, InkComponents.Component piece, double line)
    {
        if (piece.Width < MinWidth * line || piece.Height < MinHeight * line) return [];
        int band = BandWidth(line), margin = Math.Max(2, (int)Math.Round(EndMargin * line));
        var found = new List<(int[] Path, double Ink)>();
        foreach (double slant in Slants)
        {
            var paths = new List<(int[] Path, double Ink)>();
            for (int start = piece.X0 + margin; start <= piece.X1 - margin; start++)
                paths.Add(Cheapest(mask, w, piece, start, slant, band, margin));
            for (int k = 0; k < paths.Count; k++)
            {
                int left = k, right = k; // the plateau of equal cost around k; its middle stands for it
                while (left > 0 && paths[left - 1].Ink == paths[k].Ink) left--;
                while (right < paths.Count - 1 && paths[right + 1].Ink == paths[k].Ink) right++;
                bool minimum = (left == 0 || paths[left - 1].Ink > paths[k].Ink)
                               && (right == paths.Count - 1 || paths[right + 1].Ink > paths[k].Ink);
                if (minimum && k == (left + right) / 2 && !found.Any(f => f.Path.SequenceEqual(paths[k].Path)))
                    found.Add(paths[k]);
            }
        }
        foreach (var drop in Drops(mask, w, piece, margin))
            if (!found.Any(f => f.Path.SequenceEqual(drop.Path))) found.Add(drop);
        return found;
    }

    /// <summary>A drop held by ink ahead slides at most this many pixels of paper along its row to find a way on.</summary>
    public const int DropSlide = 4;

    /// <summary>Drops start this many columns apart (drops from neighbouring columns mostly fall the same way).</summary>
    private const int DropStep = 3;

    /// <summary>The drop-fall paths of <paramref name="piece"/>: a drop from every <see cref="DropStep"/>-th column, at
    /// least <paramref name="margin"/> inside its ends, let fall from the top and from the bottom, leaning left and
    /// leaning right (<see cref="Fall"/>); each different path once, with the ink pixels it crosses.</summary>
    private static List<(int[] Path, double Ink)> Drops(bool[] mask, int w, InkComponents.Component piece, int margin)
    {
        var drops = new List<(int[] Path, double Ink)>();
        int lo = piece.X0 + margin, hi = piece.X1 - margin;
        foreach (bool up in (bool[])[false, true])
        foreach (int lean in (int[])[-1, 1])
        for (int start = lo; start <= hi; start += DropStep)
        {
            var drop = Fall(mask, w, piece, start, up, lean, lo, hi);
            if (!drops.Any(d => d.Path.SequenceEqual(drop.Path))) drops.Add(drop);
        }
        return drops;
    }

    /// <summary>One drop's path through the piece's rows, from column <paramref name="start"/> of its top row (its
    /// bottom row when <paramref name="up"/>), kept within columns <paramref name="lo"/>…<paramref name="hi"/>: it falls
    /// straight on when paper lies ahead, else diagonally (to the <paramref name="lean"/> side first, −1 left), else
    /// slides along the row by up to <see cref="DropSlide"/> pixels of paper to where paper lies ahead, else cuts
    /// through the ink ahead. Its column on each row (where a slide ends, when it slid), and the ink pixels it crosses.
    /// </summary>
    private static (int[] Path, double Ink) Fall(bool[] mask, int w, InkComponents.Component piece, int start, bool up,
        int lean, int lo, int hi)
    {
        int rows = piece.Height, x = start, step = up ? -1 : 1;
        bool Ink(int column, int row) => column < lo || column > hi || mask[(piece.Y0 + row) * w + column];
        var path = new int[rows];
        double crossed = 0;
        for (int row = up ? rows - 1 : 0; ; row += step)
        {
            if (mask[(piece.Y0 + row) * w + x]) crossed++;
            path[row] = x;
            int next = row + step;
            if (next < 0 || next >= rows) break;
            if (!Ink(x, next)) continue;
            if (!Ink(x + lean, next)) x += lean;
            else if (!Ink(x - lean, next)) x -= lean;
            else path[row] = x = Slide(x, row, next, lean, Ink); // the row is left from where the slide ends
        }
        return (path, crossed);
    }

    /// <summary>Where a drop at column <paramref name="x"/> of <paramref name="row"/> slides to along paper (to the
    /// <paramref name="lean"/> side first) to find paper on <paramref name="next"/>; <paramref name="x"/> when it
    /// finds none within <see cref="DropSlide"/> pixels (it cuts through).</summary>
    private static int Slide(int x, int row, int next, int lean, Func<int, int, bool> ink)
    {
        foreach (int side in (int[])[lean, -lean])
            for (int s = 1; s <= DropSlide && !ink(x + side * s, row); s++)
                if (!ink(x + side * s, next)) return x + side * s;
        return x;
    }

    /// <summary>The path from the piece's top row to its bottom row that crosses the fewest ink pixels (plus
    /// <see cref="SideStep"/> per sideways move), within <paramref name="band"/> columns of the line through column
    /// <paramref name="start"/> at the middle row with <paramref name="slant"/> (held inside the piece), and at least <paramref name="margin"/>
    /// columns inside the piece's ends; its column per row and its cost.</summary>
    private static (int[] Path, double Ink) Cheapest(bool[] mask, int w, InkComponents.Component piece, int start,
        double slant, int band, int margin)
    {
        int rows = piece.Height, span = 2 * band + 1, lo = piece.X0 + margin, hi = piece.X1 - margin;
        var first = new int[rows]; // the band's first column on each row
        var cost = new double[rows * span];
        var from = new int[rows * span];
        for (int y = 0; y < rows; y++)
        {
            first[y] = Math.Clamp((int)Math.Round(start - slant * (y - rows / 2.0)), lo, hi) - band;
            for (int c = 0; c < span; c++)
            {
                int x = first[y] + c;
                if (x < lo || x > hi) { cost[y * span + c] = double.PositiveInfinity; continue; }
                double here = mask[(piece.Y0 + y) * w + x] ? 1 : 0, best = y == 0 ? 0 : double.PositiveInfinity;
                for (int d = -1; d <= 1 && y > 0; d++)
                {
                    int p = x + d - first[y - 1];
                    if (p < 0 || p >= span) continue;
                    double through = cost[(y - 1) * span + p] + (d == 0 ? 0 : SideStep);
                    if (through < best) (best, from[y * span + c]) = (through, p);
                }
                cost[y * span + c] = best + here;
            }
        }
        int end = 0;
        for (int c = 1; c < span; c++)
            if (cost[(rows - 1) * span + c] < cost[(rows - 1) * span + end]) end = c;
        var path = new int[rows];
        for (int y = rows - 1, c = end; y >= 0; c = from[y * span + c], y--) path[y] = first[y] + c;
        return (path, cost[(rows - 1) * span + end]);
    }
}
