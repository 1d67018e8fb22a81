using Digits.Imaging;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Images;

/// <summary>Where <see cref="CutPaths"/> offers to cut digits that touch: in the number set's touching pairs, a cut
/// between the two digits is among its paths.</summary>
public sealed class CutPathsTests
{
    /// <summary>A pair counts as separated when one of the piece's paths leaves at most this share of the two digits'
    /// ink on the wrong side.</summary>
    private const double Misplaced = 0.03;

    [Fact]
    public void Most_touching_pairs_have_a_path_between_their_digits()
    {
        // Measured on these 300 pairs (numbers of MNIST training digits from seed 0): 92.7 % with the drop-fall paths,
        // 70.0 % with the shortest-path cuts alone (most pairs overlap, and a band's straight path cuts a stroke off).
        var train = RealData.RequireMnist().Train;
        int pairs = 0, separated = 0;
        for (int seed = 0; pairs < 300; seed++)
        {
            var number = NumberSet.Make(i => train.Image(i).ToArray(), i => train.Labels[i], train.Count, 2 + seed % 4, seed);
            if (number.Touching == 0) continue;
            var (_, mask, w, h, problem) = PhotoCleanup.Clean(number.Image);
            Assert.Null(problem);
            var parts = InkComponents.Find(mask, w, h);
            var big = parts.Where(c => c.Pixels.Count >= 0.1 * parts.Max(p => p.Pixels.Count)).ToList();
            double line = NumberSegmentation.LineHeight(big);
            foreach (var part in big)
                foreach (int left in TouchingPairs(number, part, mask))
                {
                    pairs++;
                    if (CutPaths.Find(mask, w, part, line).Any(p => MisplacedShare(number, part, w, left, p.Path) <= Misplaced))
                        separated++;
                }
        }
        Assert.True(separated >= 0.85 * pairs, $"{separated} of {pairs} touching pairs have a path between their digits");
    }

    /// <summary>The digits k (1-based, as <see cref="NumberSet.Number.Owners"/> counts) such that k and k + 1 both have
    /// at least half their ink in <paramref name="part"/>.</summary>
    private static IEnumerable<int> TouchingPairs(NumberSet.Number number, InkComponents.Component part, bool[] mask)
    {
        int n = number.Text.Length;
        var (inPart, total) = (new int[n + 1], new int[n + 1]);
        foreach (int i in part.Pixels) inPart[number.Owners[i]]++;
        for (int i = 0; i < mask.Length; i++)
            if (mask[i]) total[number.Owners[i]]++;
        return Enumerable.Range(1, n - 1).Where(k => inPart[k] >= 0.5 * total[k] && inPart[k + 1] >= 0.5 * total[k + 1]);
    }

    /// <summary>The share of digits <paramref name="left"/> and left + 1's ink in the part that lies on the wrong side
    /// of <paramref name="path"/> (a pixel on or left of the path's column on its row is left of it).</summary>
    private static double MisplacedShare(NumberSet.Number number, InkComponents.Component part, int w, int left, int[] path)
    {
        int wrong = 0, both = 0;
        foreach (int i in part.Pixels)
        {
            int owner = number.Owners[i];
            if (owner != left && owner != left + 1) continue;
            both++;
            bool leftOfPath = i % w <= path[i / w - part.Y0];
            if (leftOfPath != (owner == left)) wrong++;
        }
        return (double)wrong / both;
    }
}
