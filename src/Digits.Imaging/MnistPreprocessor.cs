namespace Digits.Imaging;

/// <summary>
/// Turns an arbitrary picture of one digit — a scan, a drawing, or a phone photo of paper — or of a written number
/// into what an MNIST model expects, in two steps: the picture is made clean and its digit found
/// (<see cref="PhotoCleanup"/>: shrunk to at most 640 pixels a side, made dark ink on light paper, uneven light
/// divided out, ruled lines removed, the digit chosen as the largest connected ink with what lies near it), then
/// framed by MNIST's own recipe (<see cref="MnistFraming"/>: cropped, scaled to a 20-pixel box, centered by mass in
/// 28×28). A picture with no ink that stands out from the paper gives <see cref="PreparedDigit.Problem"/>.
/// </summary>
public static class MnistPreprocessor
{
    /// <summary>Preprocesses <paramref name="image"/>; returns (28·28) row-major ink levels in [0, 1], 1 = ink.
    /// An image with no ink gives all zeros.</summary>
    public static float[] Process(GrayImage image) => Prepare(image).Field;

    /// <summary>Preprocesses <paramref name="image"/>, saying why when no digit is found.</summary>
    public static PreparedDigit Prepare(GrayImage image)
    {
        var (ink, w, h, problem) = PhotoCleanup.FindInk(image);
        return problem is not null
            ? new PreparedDigit(new float[MnistFraming.Side * MnistFraming.Side], problem)
            : MnistFraming.Fit(ink, w, h);
    }

    /// <summary>Reads a written number: its digits left to right, each made MNIST-like on its own (empty with the
    /// reason when none is found). Ink pieces that overlap in x by half the narrower one's width are one digit (a 5's
    /// detached bar, a broken stroke); specks under 2 % of the largest piece, and pieces under 10 % of it that lie
    /// beside every digit, are dropped. Digits that touch are not split.</summary>
    public static (List<PreparedDigit> Digits, string? Problem) PrepareNumber(GrayImage image)
    {
        var (ink, mask, w, h, problem) = PhotoCleanup.Clean(image);
        if (problem is not null) return ([], problem);
        var parts = InkComponents.Find(mask, w, h);
        if (parts.Count == 0) return ([], "no ink stands out from the background (is there a number?)");
        int largest = parts.Max(c => c.Pixels.Count);
        if (largest < Math.Max(12, (long)w * h / 4000)) return ([], "no digit found: only specks stand out from the background");
        static int Overlap(int a0, int a1, int b0, int b1) => Math.Min(a1, b1) - Math.Max(a0, b0) + 1;
        var groups = new List<(int X0, int X1, List<InkComponents.Component> Parts)>();
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
        var digits = new List<PreparedDigit>();
        foreach (var g in groups.OrderBy(g => g.X0))
        {
            var chosen = new bool[mask.Length];
            foreach (var c in g.Parts) foreach (int i in c.Pixels) chosen[i] = true;
            digits.Add(MnistFraming.Fit(PhotoCleanup.KeepOnly(ink, chosen, w, h), w, h));
        }
        return (digits, null);
    }
}
