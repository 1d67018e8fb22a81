using Digits.Imaging;
using Xunit;

namespace Digits.Tests.Images;

public sealed class MnistPreprocessorTests
{
    /// <summary>A white w×h canvas with a black filled rectangle.</summary>
    private static GrayImage Canvas(int w, int h, int x0, int y0, int rw, int rh, float paper = 1f, float ink = 0f)
    {
        var pixels = Enumerable.Repeat(paper, w * h).ToArray();
        for (int y = y0; y < y0 + rh; y++)
        for (int x = x0; x < x0 + rw; x++) pixels[y * w + x] = ink;
        return new GrayImage(w, h, pixels);
    }

    private static (int X0, int Y0, int X1, int Y1, double Cx, double Cy, double Max) Measure(float[] field)
    {
        int x0 = 28, y0 = 28, x1 = -1, y1 = -1;
        double mass = 0, mx = 0, my = 0, max = 0;
        for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++)
        {
            float v = field[y * 28 + x];
            max = Math.Max(max, v);
            if (v < 0.2f) continue;
            x0 = Math.Min(x0, x); x1 = Math.Max(x1, x); y0 = Math.Min(y0, y); y1 = Math.Max(y1, y);
            mass += v; mx += v * x; my += v * y;
        }
        return (x0, y0, x1, y1, mx / mass, my / mass, max);
    }

    [Fact]
    public void A_dark_rectangle_off_center_on_white_becomes_white_ink_scaled_to_20_and_centered()
    {
        // 60×120 rectangle in the corner of a 400×300 page: the tall side becomes 20, the wide 10.
        var field = MnistPreprocessor.Process(Canvas(400, 300, 5, 10, 60, 120));
        var m = Measure(field);
        Assert.Equal(20, m.Y1 - m.Y0 + 1);
        Assert.Equal(10, m.X1 - m.X0 + 1);
        Assert.Equal(1.0, m.Max, 3);
        Assert.InRange(m.Cx, 13, 14.5);
        Assert.InRange(m.Cy, 13, 14.5);
        Assert.Equal(0f, field[0]);
    }

    [Fact]
    public void White_ink_on_black_is_not_inverted_and_a_small_blob_is_enlarged()
    {
        var field = MnistPreprocessor.Process(Canvas(28, 28, 2, 3, 4, 5, paper: 0f, ink: 1f));
        var m = Measure(field);
        Assert.Equal(20, m.Y1 - m.Y0 + 1);
        Assert.Equal(16, m.X1 - m.X0 + 1);
        Assert.Equal(0f, field[0]);
    }

    [Fact]
    public void Gray_paper_becomes_black_and_gray_ink_full_white()
    {
        var field = MnistPreprocessor.Process(Canvas(100, 100, 30, 30, 40, 40, paper: 0.8f, ink: 0.3f));
        Assert.Equal(0f, field[0]);
        Assert.Equal(1f, field[14 * 28 + 14], 3);
    }

    [Fact]
    public void The_center_of_mass_not_the_box_is_centered()
    {
        // An L: heavy vertical bar on the left, thin foot: the mass center is left of the box center,
        // so the box is shifted right of the middle.
        var pixels = Enumerable.Repeat(1f, 100 * 100).ToArray();
        for (int y = 10; y < 90; y++) for (int x = 10; x < 30; x++) pixels[y * 100 + x] = 0;
        for (int y = 70; y < 90; y++) for (int x = 30; x < 90; x++) pixels[y * 100 + x] = 0;
        var m = Measure(MnistPreprocessor.Process(new GrayImage(100, 100, pixels)));
        Assert.InRange(m.Cx, 13.4, 14.6);
        Assert.True(m.X0 > 4, $"box starts at {m.X0}; centering the box would put it at 4");
    }

    [Fact]
    public void A_blank_page_gives_an_empty_field()
    {
        Assert.All(MnistPreprocessor.Process(Canvas(50, 50, 0, 0, 0, 0)), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Area_averaging_preserves_the_mean_when_shrinking()
    {
        var src = Enumerable.Range(0, 90 * 30).Select(i => (float)(i % 7) / 6).ToArray();
        var dst = Resampling.Resize(src, 90, 30, 20, 7);
        Assert.Equal(src.Average(), dst.Average(), 2);
    }

    [Fact]
    public void Ascii_has_28_lines_of_28_with_the_ramp_ends()
    {
        var field = new float[784];
        field[0] = 1f;
        string[] lines = AsciiField.Render(field).TrimEnd('\n').Split('\n');
        Assert.Equal(28, lines.Length);
        Assert.All(lines, l => Assert.Equal(28, l.Length));
        Assert.Equal('@', lines[0][0]);
        Assert.Equal(' ', lines[0][1]);
    }
}
