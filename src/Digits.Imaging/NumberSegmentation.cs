namespace Digits.Imaging;

/// <summary>
/// Reads the digits of a written number by segmentation by recognition, the heuristic over-segmentation of LeCun,
/// Bottou, Bengio and Haffner, "Gradient-based learning applied to document recognition" (Proc. IEEE 86(11), 1998,
/// §V): the ink is cut into more pieces than there are digits, every run of up to <see cref="MaxRun"/> neighbouring
/// pieces is a candidate digit that the classifier scores, and the cheapest path through the candidates (the
/// segmentation graph's shortest path) gives the digits.
/// <para>The pieces are the connected pieces of ink (small ones join the piece they overlap in x; specks are dropped),
/// the wide ones cut where they may hold digits that touch: of the paths <see cref="CutPaths"/> finds (through the
/// least ink, and drop-fall paths around overlapping strokes), the ones whose two sides the classifier reads most
/// confidently (<see cref="ChooseCuts"/>).</para>
/// <para>A candidate costs the surprise of its most probable class (−ln p, from probabilities softened by
/// <see cref="Temperature"/>) plus what its shape says against it: <see cref="AspectCost"/> when its width for its
/// height is unusual for that class in MNIST's training set (<see cref="DigitAspects"/>; §V pairs the recognizer with
/// such geometric checks), <see cref="CutCost"/> per stroke crossed by a cut at its left, <see cref="JoinCost"/> for
/// each gap of paper inside it, <see cref="WideCost"/> when it is wider than one digit and <see cref="ShortCost"/> when
/// it is shorter. So two touching digits are cut where both sides read as confident digits of their class's shape,
/// and the pieces of a broken digit are joined when together they read more confidently than apart. The costs were set
/// on numbers of the test suite's number set other than those its reported figures use.</para>
/// <para>A model with the reject class (<see cref="NotADigit"/>, <c>train --reject-class</c>) is asked, beside the
/// digits, whether a candidate is one digit at all: its probability of "not a digit" counts against every digit.</para>
/// </summary>
internal static class NumberSegmentation
{
    /// <summary>A piece is cut in at most this many places when the cuts are chosen by ink alone, for
    /// <see cref="NotADigit"/>'s examples: more than <see cref="MaxCuts"/>, so that the examples hold the cuts through
    /// one digit that a classifier's choice may take.</summary>
    public const int ExampleCuts = 10;

    /// <summary>A candidate digit joins at most this many neighbouring pieces.</summary>
    public const int MaxRun = 6;

    /// <summary>A piece is cut in at most this many places.</summary>
    public const int MaxCuts = 5;

    /// <summary>A run of pieces wider than this many line heights is no candidate.</summary>
    public const double MaxWidth = 1.6;

    /// <summary>The temperature the class probabilities are softened by (p^(1/T), renormalised) before their surprise
    /// is taken: an MNIST classifier is over-confident on fragments and on digits squeezed together.</summary>
    public const double Temperature = 3;

    /// <summary>The cost (nats) of a candidate's aspect per tail width it lies outside the usual range of its most
    /// probable class (<see cref="DigitAspects.Unusual"/>): an 8 with half of the 4 beside it is too wide for an 8. The
    /// aspect is the ink's box width over the larger of its height and the line height, so a fragment shorter than the
    /// line does not look wide.</summary>
    public const double AspectCost = 0.3;

    /// <summary>The cost (nats) of starting a digit at a cut, per stroke the cut crosses (the ink pixels on its path
    /// over the stroke width).</summary>
    public const double CutCost = 0.05;

    /// <summary>The cost (nats) of joining two pieces that lie side by side with paper between them into one digit;
    /// pieces one above the other (overlapping in x by half the narrower's width) join freely.</summary>
    public const double JoinCost = 1.0;

    /// <summary>A candidate wider than <see cref="WideShare"/> line heights costs this much (nats) per tenth of a line
    /// height beyond it: most MNIST digits are narrower than that, two side by side are wider.</summary>
    public const double WideCost = 0.15;

    /// <summary>See <see cref="WideCost"/>.</summary>
    public const double WideShare = 0.7;

    /// <summary>A candidate less tall than <see cref="ShortShare"/> of the line height costs this much (nats) per
    /// tenth of a line height below it: it is more likely a fragment of a digit than a digit.</summary>
    public const double ShortCost = 0.5;

    /// <summary>See <see cref="ShortCost"/>.</summary>
    public const double ShortShare = 0.8;

    /// <summary>How much a cut's choice weighs the classifier's surprise at its two sides against the strokes it
    /// crosses (<see cref="CutCost"/> each).</summary>
    public const double CutReading = 0.3;

    /// <summary>A piece of ink of the number: its pixels, bounding box, the connected piece it was cut from, and the
    /// strokes crossed by the cut at its left (0 when it is not cut there).</summary>
    private sealed record Piece(List<int> Pixels, int X0, int Y0, int X1, int Y1, int Source, double Cut)
    {
        public int Width => X1 - X0 + 1;

        public static Piece Of(List<int> pixels, int w, int source, double cut) => new(pixels, pixels.Min(i => i % w),
            pixels.Min(i => i / w), pixels.Max(i => i % w), pixels.Max(i => i / w), source, cut);
    }

    /// <summary>The digits of the number in <paramref name="mask"/> (ink levels <paramref name="ink"/>, both (h, w)),
    /// left to right, each made MNIST-like; <paramref name="probabilities"/> maps N fields (N·28·28, row-major) to
    /// their N rows of class probabilities, whose class <paramref name="reject"/> is the reject class (−1: none). Empty when
    /// there is no ink.</summary>
    public static List<PreparedDigit> Read(float[] ink, bool[] mask, int w, int h, Func<float[], float[][]> probabilities,
        int reject = -1)
    {
        var (candidates, pieces) = Candidates(ink, mask, w, h, probabilities, reject);
        if (pieces == 0) return [];
        var scores = Classify(candidates.Select(c => c.Digit.Field).ToList(), probabilities);
        var edges = candidates.Select((c, k) => (c.From, c.To, Cost: Surprise(scores[k], c.Aspect, reject) + c.Penalty)).ToList();
        return Cheapest(edges, pieces).Select(k => candidates[k].Digit).ToList();
    }

    /// <summary>A candidate digit: the pieces From…To−1 joined, their ink pixels, framed MNIST-like, with its aspect
    /// (<see cref="Aspect"/>) and what its shape costs (<see cref="Penalty"/>).</summary>
    internal sealed record Candidate(int From, int To, List<int> Pixels, PreparedDigit Digit, double Aspect, double Penalty);

    /// <summary>Every candidate digit of the number — each run of up to <see cref="MaxRun"/> neighbouring pieces no
    /// wider than <see cref="MaxWidth"/> line heights, ordered by From — and how many pieces there are. With no
    /// <paramref name="probabilities"/> the cuts are chosen by the ink they cross alone (<see cref="NotADigit"/>'s
    /// training examples are made before there is a classifier).</summary>
    internal static (List<Candidate> Candidates, int Pieces) Candidates(float[] ink, bool[] mask, int w, int h,
        Func<float[], float[][]>? probabilities, int reject)
    {
        var (pieces, line) = Pieces(ink, mask, w, h, probabilities, reject);
        var candidates = new List<Candidate>();
        for (int from = 0; from < pieces.Count; from++)
        for (int to = from + 1; to <= Math.Min(pieces.Count, from + MaxRun); to++)
        {
            var run = pieces.GetRange(from, to - from);
            if (to - from > 1 && run.Max(p => p.X1) - run.Min(p => p.X0) + 1 > MaxWidth * line) break;
            var pixels = run.SelectMany(p => p.Pixels).ToList();
            candidates.Add(new Candidate(from, to, pixels, Frame(ink, mask, w, h, pixels), Aspect(pixels, w, line), Penalty(run, line)));
        }
        return (candidates, pieces.Count);
    }

    /// <summary>The pieces of ink left to right (by the centres of their boxes) and the line height
    /// (<see cref="LineHeight"/>): connected pieces of at least 10 % of the largest, those of 2–10 % joined to the one
    /// they overlap most in x (dropped when they overlap none), the wide ones cut (<see cref="ChooseCuts"/>).</summary>
    private static (List<Piece> Pieces, double Line) Pieces(float[] ink, bool[] mask, int w, int h,
        Func<float[], float[][]>? probabilities, int reject)
    {
        var parts = InkComponents.Find(mask, w, h);
        if (parts.Count == 0) return ([], 0);
        int largest = parts.Max(c => c.Pixels.Count);
        var big = parts.Where(c => c.Pixels.Count >= 0.1 * largest).ToList();
        var pixels = big.Select(c => new List<int>(c.Pixels)).ToList();
        foreach (var c in parts.Where(c => c.Pixels.Count < 0.1 * largest && c.Pixels.Count >= 0.02 * largest))
        {
            int best = -1, most = 0;
            for (int k = 0; k < big.Count; k++)
            {
                int overlap = Math.Min(big[k].X1, c.X1) - Math.Max(big[k].X0, c.X0) + 1;
                if (overlap > most) (best, most) = (k, overlap);
            }
            if (best >= 0) pixels[best].AddRange(c.Pixels);
        }
        var (line, stroke) = (LineHeight(big), StrokeWidth(big, mask, w, h));
        var pieces = new List<Piece>();
        for (int k = 0; k < big.Count; k++)
        {
            var cuts = ChooseCuts(CutPaths.Find(mask, w, big[k], line), pixels[k], big[k], ink, mask, w, h, stroke, line,
                probabilities, reject);
            var sides = Split(pixels[k], cuts.Select(c => c.Path).ToList(), big[k], w);
            for (int s = 0; s < sides.Count; s++)
                if (sides[s].Count > 0) pieces.Add(Piece.Of(sides[s], w, k, s == 0 ? 0 : cuts[s - 1].Ink / stroke));
        }
        return (pieces.OrderBy(p => p.X0 + p.X1).ToList(), line);
    }

    /// <summary>The cuts taken from <paramref name="paths"/> through one piece of ink (its <paramref name="pixels"/>,
    /// <paramref name="piece"/> its connected part) in a number whose digits are <paramref name="line"/> pixels tall,
    /// left to right: each path scored by the classifier's surprise at its two sides with their aspects (weighed by
    /// <see cref="CutReading"/>) plus <see cref="CutCost"/> per stroke crossed; the best, up to <see cref="MaxCuts"/>,
    /// that keep more than <see cref="CutPaths.BandWidth"/> pixels apart on every row.</summary>
    private static List<(int[] Path, double Ink)> ChooseCuts(List<(int[] Path, double Ink)> paths, List<int> pixels,
        InkComponents.Component piece, float[] ink, bool[] mask, int w, int h, double stroke, double line,
        Func<float[], float[][]>? probabilities, int reject)
    {
        if (paths.Count == 0) return [];
        if (probabilities is null) return Spaced(paths.OrderBy(p => p.Ink).ToList(), line, ExampleCuts);
        var fields = new List<float[]>();
        var aspects = new List<double>();
        foreach (var (path, _) in paths)
            foreach (var side in Split(pixels, [path], piece, w))
            {
                fields.Add(side.Count == 0 ? new float[MnistFraming.Side * MnistFraming.Side] : Frame(ink, mask, w, h, side).Field);
                aspects.Add(side.Count == 0 ? 1 : Aspect(side, w, line));
            }
        var scores = Classify(fields, probabilities);
        var ranked = paths.Select((p, k) => (p.Path, p.Ink, Score: CutReading * (Surprise(scores[2 * k], aspects[2 * k], reject)
            + Surprise(scores[2 * k + 1], aspects[2 * k + 1], reject)) + CutCost * p.Ink / stroke));
        return Spaced(ranked.OrderBy(r => r.Score).Select(r => (r.Path, r.Ink)).ToList(), line, MaxCuts);
    }

    /// <summary>Of <paramref name="ranked"/> cuts (best first), the best up to <paramref name="most"/> that keep more than
    /// <see cref="CutPaths.BandWidth"/> pixels apart on every row, left to right.</summary>
    private static List<(int[] Path, double Ink)> Spaced(List<(int[] Path, double Ink)> ranked, double line, int most)
    {
        int band = CutPaths.BandWidth(line);
        var chosen = new List<(int[] Path, double Ink)>();
        foreach (var (path, crossed) in ranked)
        {
            if (chosen.Count == most) break;
            if (chosen.All(c => Enumerable.Range(0, path.Length).All(y => Math.Abs(c.Path[y] - path[y]) > band)))
                chosen.Add((path, crossed));
        }
        return chosen.OrderBy(c => c.Path[c.Path.Length / 2]).ToList();
    }

    /// <summary>The pixels of a piece of ink shared among the regions between <paramref name="cuts"/> (left to right,
    /// not crossing; each a column per row of <paramref name="piece"/>): a pixel on or left of a cut is left of it.
    /// Pixels above or below the piece's rows (small pieces joined to it) go by the cut's top or bottom row.</summary>
    private static List<List<int>> Split(List<int> pixels, List<int[]> cuts, InkComponents.Component piece, int w)
    {
        var sides = Enumerable.Range(0, cuts.Count + 1).Select(_ => new List<int>()).ToList();
        foreach (int i in pixels)
        {
            int row = Math.Clamp(i / w - piece.Y0, 0, piece.Height - 1);
            sides[cuts.Count(c => i % w > c[row])].Add(i);
        }
        return sides;
    }

    /// <summary>What a run of pieces costs as one digit beyond its classifier score (nats): the cut at its left, each
    /// join across paper inside it, and its shape (<see cref="WideCost"/>, <see cref="ShortCost"/>).</summary>
    private static double Penalty(List<Piece> run, double line)
    {
        int x0 = run.Min(p => p.X0), x1 = run.Max(p => p.X1), y0 = run.Min(p => p.Y0), y1 = run.Max(p => p.Y1);
        double cost = CutCost * run[0].Cut;
        for (int k = 1; k < run.Count; k++)
        {
            var (a, b) = (run[k - 1], run[k]);
            int overlap = Math.Min(a.X1, b.X1) - Math.Max(a.X0, b.X0) + 1;
            if (a.Source != b.Source && overlap < 0.5 * Math.Min(a.Width, b.Width)) cost += JoinCost;
        }
        return cost + ShortCost * Math.Max(0, ShortShare - (y1 - y0 + 1) / line) * 10
                    + WideCost * Math.Max(0, (x1 - x0 + 1) / line - WideShare) * 10;
    }

    /// <summary>−ln of the most probable class's probability after softening by <see cref="Temperature"/>, plus
    /// <see cref="AspectCost"/> for how unusual <paramref name="aspect"/> (<see cref="Aspect"/>) is for that class
    /// when the model has the ten digits' classes. A model with the reject class at <paramref name="reject"/>
    /// (<see cref="NotADigit"/>; −1: none) never reads a candidate as it: its probability only lowers the digits'.
    /// </summary>
    private static double Surprise(float[] p, double aspect, int reject)
    {
        double sum = 0, top = 0;
        int best = 0;
        for (int c = 0; c < p.Length; c++)
        {
            double t = Math.Pow(Math.Max(p[c], 1e-12), 1 / Temperature);
            sum += t;
            if (t > top && c != reject) (top, best) = (t, c);
        }
        bool digits = p.Length - (reject >= 0 ? 1 : 0) == DigitAspects.Quantiles.Length; // the table is for the ten digits
        return -Math.Log(top / sum) + (digits ? AspectCost * DigitAspects.Unusual(best, aspect) : 0);
    }

    /// <summary>The aspect of the ink <paramref name="pixels"/>: its box's width over the larger of its height and
    /// <paramref name="line"/>.</summary>
    private static double Aspect(IEnumerable<int> pixels, int w, double line)
    {
        int x0 = int.MaxValue, y0 = int.MaxValue, x1 = -1, y1 = -1;
        foreach (int i in pixels)
        {
            x0 = Math.Min(x0, i % w); x1 = Math.Max(x1, i % w);
            y0 = Math.Min(y0, i / w); y1 = Math.Max(y1, i / w);
        }
        return (x1 - x0 + 1) / Math.Max(y1 - y0 + 1, line);
    }

    /// <summary>Class probabilities of (28·28) fields: one call of <paramref name="probabilities"/> for all.</summary>
    private static float[][] Classify(List<float[]> fields, Func<float[], float[][]> probabilities)
    {
        int size = MnistFraming.Side * MnistFraming.Side;
        var batch = new float[fields.Count * size];
        for (int k = 0; k < fields.Count; k++) fields[k].CopyTo(batch, k * size);
        return probabilities(batch);
    }

    /// <summary>The ink <paramref name="chosen"/> as one MNIST-like digit: with two pixels of soft edge
    /// (<see cref="PhotoCleanup.KeepOnly"/>) but none of the ink of other pieces or of the other side of a cut, framed
    /// by <see cref="MnistFraming.Fit"/>; worked on a crop around it.</summary>
    private static PreparedDigit Frame(float[] ink, bool[] mask, int w, int h, List<int> chosen)
    {
        const int margin = 3;
        int x0 = Math.Max(0, chosen.Min(i => i % w) - margin), y0 = Math.Max(0, chosen.Min(i => i / w) - margin);
        int cw = Math.Min(w - 1, chosen.Max(i => i % w) + margin) - x0 + 1, ch = Math.Min(h - 1, chosen.Max(i => i / w) + margin) - y0 + 1;
        var inside = new bool[cw * ch];
        foreach (int i in chosen) inside[(i / w - y0) * cw + i % w - x0] = true;
        var crop = new float[cw * ch];
        var other = new bool[cw * ch];
        for (int y = 0; y < ch; y++)
        for (int x = 0; x < cw; x++)
        {
            int i = (y0 + y) * w + x0 + x;
            crop[y * cw + x] = ink[i];
            other[y * cw + x] = mask[i] && !inside[y * cw + x];
        }
        var kept = PhotoCleanup.KeepOnly(crop, inside, cw, ch);
        var near = PhotoCleanup.Dilate(other, cw, ch, 1);
        for (int k = 0; k < kept.Length; k++)
            if (near[k] && !inside[k]) kept[k] = 0;
        return MnistFraming.Fit(kept, cw, ch);
    }

    /// <summary>The cheapest way through the segmentation graph — nodes 0…<paramref name="pieces"/> between the
    /// pieces, each candidate an edge From → To — by dynamic programming; the indices of its edges, left to right.
    /// </summary>
    private static List<int> Cheapest(List<(int From, int To, double Cost)> edges, int pieces)
    {
        var best = Enumerable.Repeat(double.PositiveInfinity, pieces + 1).ToArray();
        var via = new int[pieces + 1];
        best[0] = 0;
        for (int k = 0; k < edges.Count; k++) // edges come ordered by From, so every From is final when it is used
        {
            var (from, to, cost) = edges[k];
            if (best[from] + cost < best[to]) (best[to], via[to]) = (best[from] + cost, k);
        }
        var path = new List<int>();
        for (int at = pieces; at > 0; at = edges[via[at]].From) path.Add(via[at]);
        path.Reverse();
        return path;
    }

    /// <summary>The height of the number's digits: the median height of the pieces at least 70 % as tall as the
    /// tallest (a broken digit's fragments are shorter; digits that touch make a piece a little taller).</summary>
    internal static double LineHeight(List<InkComponents.Component> parts)
    {
        int tallest = parts.Max(c => c.Height);
        var tall = parts.Select(c => c.Height).Where(v => v >= 0.7 * tallest).Order().ToArray();
        return tall[tall.Length / 2];
    }

    /// <summary>The ink's stroke width in pixels: twice its area over its boundary length (pixels with a paper
    /// 4-neighbour).</summary>
    private static double StrokeWidth(List<InkComponents.Component> parts, bool[] mask, int w, int h)
    {
        long area = 0, boundary = 0;
        foreach (var c in parts)
            foreach (int i in c.Pixels)
            {
                int x = i % w, y = i / w;
                area++;
                if (x == 0 || y == 0 || x == w - 1 || y == h - 1 || !mask[i - 1] || !mask[i + 1] || !mask[i - w] || !mask[i + w])
                    boundary++;
            }
        return Math.Max(1, 2.0 * area / Math.Max(1, boundary));
    }
}
