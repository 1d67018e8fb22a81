namespace Digits.Imaging;

/// <summary>
/// Written numbers made from MNIST digits, as <c>predict --number</c> should read them: 2–5 digits, each cropped
/// to its ink's columns, set side by side with up to ±2 pixels of vertical jitter. Between neighbours, one gap in
/// <see cref="TouchingShare"/> is a touching pair — the right digit starts 0–2 MNIST pixels inside the left one's last
/// ink column (drawn with the darker of the two inks) — and the others leave 2–6 pixels of paper. One digit in
/// <see cref="BrokenShare"/> has a broken stroke, the way a pen skips: ink erased in a band 1.5–2 pixels wide and 7
/// long across a stroke, placed where it splits the digit into more pieces. Dark ink (0.1–0.25) on paper (0.85–0.95)
/// with a margin, scaled ×3 (bilinear), noise of σ 0.02. From a seed, so a case can be replayed. The test suite reads
/// numbers of MNIST's test digits (NumberTests); <see cref="NotADigit"/> trains on the candidates segmentation finds in
/// numbers of the training digits.
/// </summary>
public static class NumberSet
{
    /// <summary>The share of neighbouring digits that touch or overlap.</summary>
    public const double TouchingShare = 0.25;

    /// <summary>The share of digits with a broken stroke.</summary>
    public const double BrokenShare = 0.1;

    /// <summary>One number: its picture, its digits' indices in the source, the number as text, how many neighbouring
    /// pairs of digits actually touch in the picture's ink, how many digits a broken stroke split into pieces, and for
    /// every pixel of the picture which digit's ink is darkest there (k + 1 for the k-th digit; 0: paper).</summary>
    public sealed record Number(GrayImage Image, int[] Indices, string Text, int Touching, int Broken, int[] Owners);

    /// <summary>How many times larger than the MNIST digits the picture is drawn.</summary>
    public const int Scale = 3;

    /// <summary>Ink above this level (of 1) is counted when deciding whether digits touch or a stroke is broken.</summary>
    private const float Solid = 0.3f;

    /// <summary>A number of <paramref name="digits"/> digits drawn from <paramref name="count"/> source images
    /// (<paramref name="image"/>: 28·28 ink levels, 1 = ink; <paramref name="label"/>: its digit), from
    /// <paramref name="seed"/>; <paramref name="brokenShare"/> of the digits have a broken stroke.</summary>
    public static Number Make(Func<int, float[]> image, Func<int, int> label, int count, int digits, int seed,
        double brokenShare = BrokenShare)
    {
        var random = new Random(seed);
        var indices = Enumerable.Range(0, digits).Select(_ => random.Next(count)).ToArray();
        const int height = 28 + 12, margin = 8;
        var pieces = new List<(float[] Pixels, int X0, int X1, int Dy)>();
        int broken = 0;
        foreach (int index in indices)
        {
            var pixels = image(index);
            if (random.NextDouble() < brokenShare && Break(pixels, random)) broken++;
            int x0 = 28, x1 = -1;
            for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
                if (pixels[y * 28 + x] > 0.1f) { x0 = Math.Min(x0, x); x1 = Math.Max(x1, x); }
            pieces.Add((pixels, x0, x1, random.Next(-2, 3)));
        }
        var gaps = pieces.Select(_ => random.NextDouble() < TouchingShare ? -random.Next(0, 3) : random.Next(2, 7)).ToArray();
        int width = 2 * margin + pieces.Sum(p => p.X1 - p.X0 + 1) + gaps.Skip(1).Sum();
        var ink = new float[width * height];
        var owner = new int[width * height];
        int at = margin, touching = 0;
        for (int k = 0; k < pieces.Count; k++)
        {
            if (k > 0) at += gaps[k];
            var (pixels, x0, x1, dy) = pieces[k];
            bool touches = false;
            for (int y = 0; y < 28; y++)
            for (int x = x0; x <= x1; x++)
            {
                int yy = y + 6 + dy, xx = at + x - x0;
                if (pixels[y * 28 + x] > Solid && TouchesOwner(ink, owner, width, height, xx, yy, k)) touches = true;
                if (pixels[y * 28 + x] > ink[yy * width + xx]) owner[yy * width + xx] = k + 1;
                ink[yy * width + xx] = Math.Max(ink[yy * width + xx], pixels[y * 28 + x]);
            }
            if (touches) touching++;
            at += x1 - x0 + 1;
        }
        var big = Resampling.Resize(ink, width, height, width * Scale, height * Scale);
        double paper = 0.85 + 0.1 * random.NextDouble(), dark = 0.1 + 0.15 * random.NextDouble();
        var gray = big.Select(v => (float)Math.Clamp(paper - (paper - dark) * v + 0.02 * Gaussian(random), 0, 1)).ToArray();
        string text = string.Concat(indices.Select(i => label(i).ToString()));
        var owners = new int[big.Length];
        for (int i = 0; i < owners.Length; i++) owners[i] = owner[i / (width * Scale) / Scale * width + i % (width * Scale) / Scale];
        return new Number(new GrayImage(width * Scale, height * Scale, gray), indices, text, touching, broken, owners);
    }

    /// <summary>Whether solid ink of the previous digit (owner <paramref name="k"/>) lies at or beside (x, y).</summary>
    private static bool TouchesOwner(float[] ink, int[] owner, int w, int h, int x, int y, int k)
    {
        for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++)
        {
            int xx = x + dx, yy = y + dy;
            if (xx >= 0 && yy >= 0 && xx < w && yy < h && owner[yy * w + xx] == k && ink[yy * w + xx] > Solid) return true;
        }
        return false;
    }

    /// <summary>Erases a band across one stroke of the (28·28) digit: tries up to 20 random places and angles, keeps
    /// the first that leaves the digit in more solid pieces than before; false (the digit untouched) when none does.
    /// </summary>
    private static bool Break(float[] pixels, Random random)
    {
        int before = Pieces(pixels);
        var strokes = Enumerable.Range(0, 784).Where(i => pixels[i] > 0.5f).ToArray();
        for (int attempt = 0; attempt < 20; attempt++)
        {
            int at = strokes[random.Next(strokes.Length)];
            double angle = Math.PI * random.NextDouble(), halfWidth = 0.75 + 0.25 * random.NextDouble();
            double cx = at % 28, cy = at / 28, ux = Math.Cos(angle), uy = Math.Sin(angle);
            var cut = (float[])pixels.Clone();
            for (int i = 0; i < 784; i++)
            {
                double dx = i % 28 - cx, dy = i / 28 - cy;
                if (Math.Abs(dx * ux + dy * uy) <= 3.5 && Math.Abs(dy * ux - dx * uy) <= halfWidth) cut[i] = 0;
            }
            if (Pieces(cut) <= before) continue;
            cut.CopyTo(pixels, 0);
            return true;
        }
        return false;
    }

    /// <summary>How many 8-connected pieces of solid ink, of at least 3 pixels, the (28·28) digit has.</summary>
    private static int Pieces(float[] pixels)
    {
        var seen = new bool[784];
        int pieces = 0;
        for (int start = 0; start < 784; start++)
        {
            if (seen[start] || pixels[start] <= Solid) continue;
            int size = 0;
            var stack = new Stack<int>([start]);
            seen[start] = true;
            while (stack.Count > 0)
            {
                int i = stack.Pop();
                size++;
                for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                {
                    int x = i % 28 + dx, y = i / 28 + dy;
                    if (x < 0 || y < 0 || x >= 28 || y >= 28 || seen[y * 28 + x] || pixels[y * 28 + x] <= Solid) continue;
                    seen[y * 28 + x] = true;
                    stack.Push(y * 28 + x);
                }
            }
            if (size >= 3) pieces++;
        }
        return pieces;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
