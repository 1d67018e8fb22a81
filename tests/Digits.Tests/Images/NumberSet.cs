using Digits.Imaging;

namespace Digits.Tests.Images;

/// <summary>
/// Written numbers made from MNIST test digits, as <c>predict --number</c> should read them: 2–5 digits, each cropped
/// to its ink's columns, set side by side with a gap of 2–6 MNIST pixels and up to ±2 pixels of vertical jitter, dark
/// ink (0.1–0.25) on paper (0.85–0.95) with a margin, scaled ×3 (bilinear) and given noise of σ 0.02. From a seed,
/// so a case can be replayed.
/// </summary>
internal static class NumberSet
{
    /// <summary>One number: its picture, its digits' test-set indices and the number as text.</summary>
    public sealed record Number(GrayImage Image, int[] Indices, string Text);

    public static Number Make(Func<int, float[]> image, Func<int, int> label, int count, int digits, int seed)
    {
        var random = new Random(seed);
        var indices = Enumerable.Range(0, digits).Select(_ => random.Next(count)).ToArray();
        const int height = 28 + 12, margin = 8;
        var pieces = new List<(float[] Pixels, int X0, int X1, int Dy)>();
        foreach (int index in indices)
        {
            var pixels = image(index);
            int x0 = 28, x1 = -1;
            for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
                if (pixels[y * 28 + x] > 0.1f) { x0 = Math.Min(x0, x); x1 = Math.Max(x1, x); }
            pieces.Add((pixels, x0, x1, random.Next(-2, 3)));
        }
        var gaps = pieces.Select(_ => random.Next(2, 7)).ToArray();
        int width = 2 * margin + pieces.Sum(p => p.X1 - p.X0 + 1) + gaps.Skip(1).Sum();
        var ink = new float[width * height];
        int at = margin;
        for (int k = 0; k < pieces.Count; k++)
        {
            if (k > 0) at += gaps[k];
            var (pixels, x0, x1, dy) = pieces[k];
            for (int y = 0; y < 28; y++)
            for (int x = x0; x <= x1; x++)
            {
                int yy = y + 6 + dy, xx = at + x - x0;
                ink[yy * width + xx] = Math.Max(ink[yy * width + xx], pixels[y * 28 + x]);
            }
            at += x1 - x0 + 1;
        }
        var big = Resampling.Resize(ink, width, height, width * 3, height * 3);
        double paper = 0.85 + 0.1 * random.NextDouble(), dark = 0.1 + 0.15 * random.NextDouble();
        var gray = big.Select(v => (float)Math.Clamp(paper - (paper - dark) * v + 0.02 * Gaussian(random), 0, 1)).ToArray();
        string text = string.Concat(indices.Select(i => label(i).ToString()));
        return new Number(new GrayImage(width * 3, height * 3, gray), indices, text);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
