using System.Globalization;
using Digits.Imaging;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Images;

public sealed class DigitAspectTests
{
    /// <summary>The table <see cref="DigitAspects.Quantiles"/> is what MNIST's training set gives: each class's aspect
    /// quantiles recomputed from the 60000 images (to 0.005, the table's rounding). On a mismatch the message holds
    /// the table to paste.</summary>
    [Fact]
    public void The_shape_table_is_the_quantiles_of_mnists_training_set()
    {
        var train = RealData.RequireMnist().Train;
        var aspects = Enumerable.Range(0, 10).Select(_ => new List<double>()).ToArray();
        for (int i = 0; i < train.Count; i++) aspects[train.Labels[i]].Add(DigitAspects.Aspect(train.Image(i)));
        var measured = aspects.Select(a =>
        {
            var sorted = a.Order().ToArray();
            return DigitAspects.Levels.Select(q => sorted[(int)(q * (sorted.Length - 1))]).ToArray();
        }).ToArray();
        string table = string.Join("\n", measured.Select(q =>
            $"[{string.Join(", ", q.Select(v => v.ToString("0.000", CultureInfo.InvariantCulture)))}],"));
        for (int c = 0; c < 10; c++)
        for (int k = 0; k < DigitAspects.Levels.Length; k++)
            Assert.True(Math.Abs(measured[c][k] - DigitAspects.Quantiles[c][k]) <= 0.005, $"class {c}:\n{table}");
    }

    [Fact]
    public void A_digit_of_usual_shape_costs_nothing_and_an_unusual_one_costs_by_how_far_out_it_lies()
    {
        for (int c = 0; c < 10; c++)
        {
            var q = DigitAspects.Quantiles[c];
            Assert.Equal(0, DigitAspects.Unusual(c, q[2]));
            Assert.Equal(1, DigitAspects.Unusual(c, q[4]), 6);
            Assert.Equal(1, DigitAspects.Unusual(c, q[0]), 6);
            Assert.True(DigitAspects.Unusual(c, q[4] + 0.2) > DigitAspects.Unusual(c, q[4] + 0.1));
        }
    }

    [Fact]
    public void The_aspect_is_the_solid_inks_box_width_over_its_height()
    {
        var field = new float[28 * 28];
        for (int y = 4; y < 24; y++)
        for (int x = 9; x < 19; x++) field[y * 28 + x] = 1;
        field[2 * 28 + 2] = 0.4f; // faint: not counted
        Assert.Equal(0.5, DigitAspects.Aspect(field));
        Assert.Equal(1, DigitAspects.Aspect(new float[28 * 28]));
    }
}
