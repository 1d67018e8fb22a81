using Digits.Core.Data;
using Digits.Imaging;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Images;

/// <summary>The reject class's data (<see cref="NotADigit"/>): what <c>--reject-class</c> adds to the splits, and what
/// its examples look like.</summary>
public sealed class NotADigitTests(Cli.QuickModel quick) : IClassFixture<Cli.QuickModel>
{
    private readonly Cli.QuickModel _quick = quick;

    /// <summary>A small training set of MNIST's first 2000 training digits, with a validation and a test part.</summary>
    private static DatasetSplits Small()
    {
        var mnist = RealData.RequireMnist();
        var train = mnist.Train.Subset(Enumerable.Range(0, 2000).ToArray(), "mnist/train (2000)");
        var validation = mnist.Train.Subset(Enumerable.Range(2000, 100).ToArray(), "mnist/train (validation)");
        return new DatasetSplits(train, mnist.Test, validation, ["a note"]);
    }

    [Fact]
    public void The_training_set_gains_half_its_size_in_examples_and_the_others_only_the_name()
    {
        var data = Small();
        var with = NotADigit.With(data, 1);
        int each = (int)(data.Train.Count * NotADigit.Share / 2);
        Assert.Equal(data.Train.Count + 2 * each, with.Train.Count);
        Assert.Equal([.. data.Train.ClassNames, NotADigit.ClassName], with.Train.ClassNames);
        Assert.Equal(10, NotADigit.IndexIn(with.Train.ClassNames));
        Assert.Equal(-1, NotADigit.IndexIn(data.Train.ClassNames));
        // the digits are kept bit for bit, first; half the examples that follow are rejects, half digits
        Assert.Equal(data.Train.Images, with.Train.Images.AsSpan(0, data.Train.Images.Length).ToArray());
        Assert.Equal(data.Train.Labels, with.Train.Labels[..data.Train.Count]);
        Assert.Equal(each, with.Train.Labels[data.Train.Count..].Count(l => l == 10));
        Assert.True(with.Train.Labels[data.Train.Count..].Where(l => l < 10).Distinct().Count() == 10, "every digit among the examples");
        foreach (var (before, after) in new[] { (data.Test, with.Test), (data.Validation!, with.Validation!) })
        {
            Assert.Same(before.Images, after.Images);
            Assert.Equal(before.Labels, after.Labels);
            Assert.Equal(NotADigit.ClassName, after.ClassNames[^1]);
        }
        Assert.Contains(with.Notes, n => n.Contains($"{each} '{NotADigit.ClassName}' images and {each} digits"));
    }

    [Fact]
    public void The_examples_are_seeded()
    {
        var source = Small().Train;
        float[] Examples(int seed) => NotADigit.Examples(source, 40, seed, 10).SelectMany(e => e.Field).ToArray();
        Assert.Equal(Examples(3), Examples(3));
        Assert.NotEqual(Examples(3), Examples(4));
    }

    /// <summary>Every example is framed as MNIST frames a digit (its ink's box 20 pixels on its longer side); the
    /// digits are labelled right — the quick model, which never saw them, reads most as their label — and the rejects
    /// are what segmentation must not take for a digit: many are wider than tall (two digits framed as one), which
    /// few digits are.</summary>
    [Fact]
    public void Digit_examples_read_as_their_label_and_many_rejects_are_wider_than_a_digit()
    {
        var examples = NotADigit.Examples(Small().Train, 300, 1, 10);
        Assert.Equal(600, examples.Count);
        Assert.All(examples, e => Assert.InRange(Math.Max(Box(e.Field).X1 - Box(e.Field).X0, Box(e.Field).Y1 - Box(e.Field).Y0) + 1, 19, 21));
        var digits = examples.Where(e => e.Label < 10).ToList();
        var rejects = examples.Where(e => e.Label == 10).ToList();
        var predicted = Cli.PredictTests.PredictAll(_quick.Model, digits.Select(d => d.Field).ToList());
        double read = digits.Zip(predicted).Average(p => p.First.Label == p.Second ? 1.0 : 0);
        static double Wide(List<(float[] Field, int Label)> set) => set.Average(e => Box(e.Field) is var b && b.X1 - b.X0 > b.Y1 - b.Y0 ? 1.0 : 0);
        TestContext.Current.TestOutputHelper!.WriteLine(
            $"digit examples read as their label: {read:0.0%}; wider than tall: rejects {Wide(rejects):0.0%}, digits {Wide(digits):0.0%}");
        Assert.True(read >= 0.85, $"the quick model reads {read:0.0%} of the digit examples as their label");
        Assert.True(Wide(rejects) >= 0.2 && Wide(rejects) >= 3 * Wide(digits), $"wider than tall: rejects {Wide(rejects):0.0%}, digits {Wide(digits):0.0%}");
    }

    [Fact]
    public void Only_28x28_data_without_the_class_can_gain_it()
    {
        var small = new Dataset("tiny", ["a", "b"], 8, 8, new float[2 * 64], [0, 1]);
        var e = Assert.Throws<ArgumentException>(() => NotADigit.With(new DatasetSplits(small, small, null, []), 1));
        Assert.Contains("28×28", e.Message);
        var with = NotADigit.With(Small(), 1);
        e = Assert.Throws<ArgumentException>(() => NotADigit.With(with, 1));
        Assert.Contains("already", e.Message);
    }

    [Fact]
    public void The_best_digit_is_never_the_reject_class()
    {
        Assert.Equal(2, NotADigit.BestDigit([0.1f, 0.1f, 0.3f, 0.5f], 3));
        Assert.Equal(3, NotADigit.BestDigit([0.1f, 0.1f, 0.3f, 0.5f], -1));
        Assert.Equal(1, NotADigit.BestDigit([0.9f, 0.06f, 0.04f], 0));
    }

    private static (int X0, int Y0, int X1, int Y1, double Cx, double Cy) Box(float[] field)
    {
        int x0 = 28, y0 = 28, x1 = -1, y1 = -1;
        double mass = 0, mx = 0, my = 0;
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] <= 0.1f) continue;
            int x = i % 28, y = i / 28;
            (x0, x1, y0, y1) = (Math.Min(x0, x), Math.Max(x1, x), Math.Min(y0, y), Math.Max(y1, y));
            mass += field[i]; mx += field[i] * x; my += field[i] * y;
        }
        return (x0, y0, x1, y1, mx / mass, my / mass);
    }
}
