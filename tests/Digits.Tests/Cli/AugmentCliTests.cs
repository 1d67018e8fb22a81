using Digits.Cli;
using Digits.Cli.Commands;
using Digits.Cli.Verbs;
using Digits.Core.Training;
using Digits.Tests.Support;
using SkiaSharp;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary>
/// <c>digits augment</c>: the PNG's layout (<see cref="AugmentGrid"/>), that its first column is the dataset's own
/// digits, that zero ranges leave them untouched and the default ones do not, that the seed decides the picture,
/// the one-line usage errors, <c>--show</c> and <c>--help</c>.
/// </summary>
public sealed class AugmentCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("digits-augment-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Digits(params string[] args) => DigitsCli.Run(args);

    /// <summary>Runs augment on MNIST (with the CPU unless <paramref name="more"/> names a device) into
    /// <paramref name="name"/>; fails with stderr unless it succeeds.</summary>
    private (string Path, string Out) Augment(string name, params string[] more)
    {
        RealData.RequireMnist();
        string path = Path.Combine(_dir, name);
        string[] device = more.Contains("--device") ? [] : ["--device", "cpu"];
        var (code, output, err) = Digits(["augment", "--no-download", .. device, "--output", path, .. more]);
        Assert.True(code == ExitCodes.Success, $"exit {code}: {err}");
        return (path, output);
    }

    /// <summary>The PNG's width, height and pixels.</summary>
    private static (int Width, int Height, SKColor[] Pixels) Decode(string path)
    {
        using var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        return (bitmap.Width, bitmap.Height, bitmap.Pixels);
    }

    /// <summary>Cell (row, column) of a grid decoded at --scale-up 1, as 784 gray levels.</summary>
    private static byte[] Cell((int Width, int Height, SKColor[] Pixels) png, AugmentGrid grid, int row, int column)
    {
        var cell = new byte[28 * 28];
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
            {
                var c = png.Pixels[(grid.Top(row) + y) * png.Width + grid.Left(column) + x];
                Assert.True(c.Red == c.Green && c.Green == c.Blue, $"cell ({row}, {column}) pixel ({x}, {y}) is not gray: {c}");
                cell[y * 28 + x] = c.Red;
            }
        return cell;
    }

    [Theory]
    [InlineData(3, 2, 2)]
    [InlineData(2, 4, 3)]
    [InlineData(1, 1, 1)]
    public void The_png_is_variants_plus_one_columns_by_count_rows_of_scaled_cells_with_separators(int count, int variants, int scaleUp)
    {
        var (path, output) = Augment("grid.png", "--count", $"{count}", "--variants", $"{variants}", "--scale-up", $"{scaleUp}");
        var png = Decode(path);
        int cell = 28 * scaleUp;
        Assert.Equal((variants + 1) * cell + variants * scaleUp, png.Width);
        Assert.Equal(count * cell + (count - 1) * scaleUp, png.Height);
        var grid = new AugmentGrid(count, variants, 28, 28, scaleUp);
        Assert.Equal((grid.PixelWidth, grid.PixelHeight), (png.Width, png.Height));
        // The separator after the originals is amber from top to bottom; the others (if any) gray.
        for (int y = 0; y < png.Height; y++)
            Assert.Equal(AugmentGrid.OriginalsSeparator, png.Pixels[y * png.Width + cell]);
        if (variants > 1) Assert.Equal(AugmentGrid.Separator, png.Pixels[2 * cell + scaleUp]);
        if (count > 1) Assert.Equal(AugmentGrid.Separator, png.Pixels[cell * png.Width]);
        Assert.StartsWith($"wrote {path}: {count} mnist training images", output.TrimEnd().Split('\n')[^1]);
    }

    [Fact]
    public void The_first_column_is_the_training_digits_picked_by_the_seed()
    {
        var train = RealData.RequireMnist().Train;
        var (path, output) = Augment("originals.png", "--count", "5", "--variants", "2", "--scale-up", "1", "--seed", "7");
        var png = Decode(path);
        var grid = new AugmentGrid(5, 2, 28, 28, 1);
        int[] picked = AugmentCommand.Pick(5, train.Count, 7);
        Assert.Equal(5, picked.Distinct().Count());
        Assert.Contains($"(#{string.Join(", #", picked)})", output);
        for (int r = 0; r < 5; r++)
        {
            var expected = train.Image(picked[r]).ToArray().Select(AugmentGrid.Gray).ToArray();
            Assert.Equal(expected, Cell(png, grid, r, 0));
        }
    }

    [Fact]
    public void With_zero_affine_ranges_every_variant_is_its_original_exactly()
    {
        var (path, output) = Augment("identity.png", "--augment", "affine", "--rotate", "0", "--scale", "0", "--shear", "0",
            "--translate", "0", "--count", "4", "--variants", "3", "--scale-up", "1");
        var png = Decode(path);
        var grid = new AugmentGrid(4, 3, 28, 28, 1);
        for (int r = 0; r < 4; r++)
        {
            byte[] original = Cell(png, grid, r, 0);
            Assert.Contains(original, g => g > 128); // a digit, not a blank cell
            for (int c = 1; c <= 3; c++) Assert.Equal(original, Cell(png, grid, r, c));
        }
        Assert.EndsWith("affine (rotate ±0°, scale ±0, shear ±0°, shift ±0 px)", output.TrimEnd());
    }

    [Fact]
    public void With_the_default_flags_every_variant_differs_from_its_original_and_from_the_others()
    {
        var (path, output) = Augment("default.png", "--count", "4", "--variants", "5", "--scale-up", "1");
        var png = Decode(path);
        var grid = new AugmentGrid(4, 5, 28, 28, 1);
        for (int r = 0; r < 4; r++)
        {
            var cells = Enumerable.Range(0, 6).Select(c => Convert.ToHexString(Cell(png, grid, r, c))).ToList();
            Assert.Equal(6, cells.Distinct().Count());
        }
        Assert.EndsWith("affine (rotate ±15°, scale ±0.15, shear ±10°, shift ±2 px), elastic (σ 6 px, α 36 px)",
            output.TrimEnd());
    }

    [Fact]
    public void The_same_seed_gives_the_same_png_and_another_seed_another()
    {
        string[] flags = ["--count", "3", "--variants", "3", "--scale-up", "1"];
        var (a, _) = Augment("a.png", [.. flags, "--seed", "5"]);
        var (b, _) = Augment("b.png", [.. flags, "--seed", "5"]);
        var (c, _) = Augment("c.png", [.. flags, "--seed", "6"]);
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        Assert.NotEqual(Decode(a).Pixels, Decode(c).Pixels);
    }

    [Fact]
    public void The_reference_backend_draws_the_same_picture_as_the_cpu()
    {
        string[] flags = ["--count", "3", "--variants", "4", "--scale-up", "1"];
        var (cpu, _) = Augment("cpu.png", flags);
        var (reference, output) = Augment("reference.png", [.. flags, "--device", "reference"]);
        Assert.Contains("on reference:", output);
        Assert.Equal(Decode(cpu).Pixels, Decode(reference).Pixels);
    }

    /// <summary>ilgpu-cpu runs the ILGPU augmentation kernel and draws the cpu's picture. (Until issue 24 a failure
    /// with exit 2 passed too, a branch left from before the kernel existed.) Where ILGPU's CPU accelerator cannot
    /// start, the test skips with the reason (fails with CI=true).</summary>
    [Fact]
    public void Ilgpu_cpu_draws_the_cpus_picture()
    {
        RealData.RequireMnist();
        TestBackends.Get("ilgpu-cpu");
        string[] flags = ["--count", "2", "--variants", "2", "--scale-up", "1"];
        var (cpu, _) = Augment("cpu.png", flags);
        string path = Path.Combine(_dir, "ilgpu.png");
        var (code, _, err) = Digits(["augment", "--no-download", "--device", "ilgpu-cpu", "--output", path, .. flags]);
        Assert.True(code == ExitCodes.Success, err);
        // Every backend calls the same scalar functions; allow one gray level for a fused multiply-add.
        var expected = Decode(cpu).Pixels;
        var actual = Decode(path).Pixels;
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i].Red - actual[i].Red) <= 1, $"pixel {i}: cpu {expected[i]}, ilgpu-cpu {actual[i]}");
    }

    [Fact]
    public void Show_prints_each_row_of_digits_as_block_characters()
    {
        var (_, output) = Augment("show.png", "--count", "3", "--variants", "2", "--show");
        string[] lines = output.TrimEnd().Split('\n');
        var blocks = lines.Where(l => l.IndexOfAny(['█', '▀', '▄']) >= 0).ToList();
        Assert.True(blocks.Count >= 3, output);
        // Each grid line: 3 cells of 14 characters, a │ after the original and a space after the first variant.
        var grid = lines[..^1].Where(l => l.Length > 0).ToList();
        Assert.Equal(3 * 7, grid.Count);
        Assert.All(grid, l => Assert.Equal(3 * 14 + 2, l.Length));
        Assert.All(grid, l => Assert.Equal('│', l[14]));
        Assert.StartsWith("wrote ", lines[^1]);
    }

    [Theory]
    [InlineData("--augment shear", "--augment: unknown augmentation 'shear'")]
    [InlineData("--augment none", "--augment none: nothing to show")]
    [InlineData("--rotate 200", "--rotate must be in [0, 180] degrees, got 200")]
    [InlineData("--scale 1", "--scale must be in [0, 1), got 1")]
    [InlineData("--shear -1", "--shear must be in [0, 45] degrees, got -1")]
    [InlineData("--translate 29", "--translate must be in [0, 28] pixels, got 29")]
    [InlineData("--elastic-sigma 0", "--elastic-sigma must be in (0, 10] pixels, got 0")]
    [InlineData("--elastic-alpha 101", "--elastic-alpha must be in [0, 100] pixels, got 101")]
    [InlineData("--count 0", "--count must be a whole number from 1 to 64, got 0")]
    [InlineData("--count 65", "--count must be a whole number from 1 to 64, got 65")]
    [InlineData("--count abc", "--count: 'abc' is not a valid value")]
    [InlineData("--variants 0", "--variants must be a whole number from 1 to 16, got 0")]
    [InlineData("--variants 17", "--variants must be a whole number from 1 to 16, got 17")]
    [InlineData("--scale-up 0", "--scale-up must be a whole number from 1 to 8, got 0")]
    [InlineData("--scale-up 9", "--scale-up must be a whole number from 1 to 8, got 9")]
    [InlineData("--seed -1", "--seed: '-1' is not a valid value")]
    [InlineData("--dataset emnist", "--dataset: 'emnist' is not mnist, fashion-mnist or kmnist")]
    [InlineData("--device tpu", "--device: 'tpu' is not a device")]
    [InlineData("--output /no/such/folder/a.png", "--output /no/such/folder/a.png: the folder /no/such/folder does not exist")]
    [InlineData("--output /", "--output / is a folder")]
    [InlineData("--show=1", "--show is a switch and takes no value")]
    [InlineData("--bogus", "unknown option '--bogus' for augment")]
    public void Bad_flags_exit_2_with_one_line_naming_the_flag(string flags, string expected)
    {
        // --data points nowhere: each refusal comes before any data is read.
        var (code, output, err) = Digits(["augment", "--data", Path.Combine(_dir, "no-data"), "--no-download", .. flags.Split(' ')]);
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.StartsWith("digits: ", err);
        Assert.Contains(expected, err);
        Assert.Single(err.TrimEnd().Split('\n'));
        Assert.Equal("", output);
    }

    [Fact]
    public void Missing_data_is_one_line_exit_2()
    {
        var (code, _, err) = Digits("augment", "--data", Path.Combine(_dir, "no-data"), "--no-download", "--output",
            Path.Combine(_dir, "x.png"));
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.StartsWith("digits: ", err);
        Assert.False(File.Exists(Path.Combine(_dir, "x.png")));
    }

    [Fact]
    public void A_full_disk_is_one_line_exit_1_and_leaves_no_file()
    {
        RealData.RequireMnist();
        using var disk = FullDisk.Mount(Path.Combine(_dir, "full"));
        disk.Fill();
        string path = Path.Combine(disk.Folder, "full.png");
        var (code, output, err) = Digits("augment", "--no-download", "--device", "cpu", "--count", "1", "--output", path);
        Assert.Equal(ExitCodes.RuntimeFailure, code);
        Assert.Equal($"digits: could not write {path}: the disk is full (no space left on device)", err.TrimEnd());
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(disk.Folder, ".*.tmp"));
        Assert.Equal("", output);
    }

    [Fact]
    public void Help_lists_every_flag_by_topic_with_the_defaults_the_command_uses()
    {
        var (code, output, _) = Digits("augment", "--help");
        Assert.Equal(ExitCodes.Success, code);
        Assert.StartsWith("digits augment — Show what the augmentation flags do", output);
        foreach (var option in Help.Options(typeof(AugmentVerb))) Assert.Contains($"--{option.Name}", output);
        // Topics in this order: what is shown, how it is distorted, where, and what is written.
        string text = output.ReplaceLineEndings("\n");
        int[] at = new[] { "\nData\n", "\nAugmentation\n", "\nDevice\n", "\nOutput\n" }
            .Select(t => text.IndexOf(t, StringComparison.Ordinal)).ToArray();
        Assert.DoesNotContain(-1, at);
        Assert.Equal(at.Order(), at);
        Assert.Contains("white digits on black", output);
        Assert.Contains("augment", Help.ForTool());

        var stated = Help.Options(typeof(AugmentVerb)).ToDictionary(o => o.Name, o => o.Default);
        var defaults = new AugmentOptions();
        string N(float v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(AugmentCommand.DefaultKinds, stated["augment"]);
        Assert.Equal($"{AugmentCommand.DefaultCount}", stated["count"]);
        Assert.Equal($"{AugmentCommand.DefaultVariants}", stated["variants"]);
        Assert.Equal($"{AugmentCommand.DefaultScaleUp}", stated["scale-up"]);
        Assert.Equal($"{AugmentCommand.DefaultSeed}", stated["seed"]);
        Assert.Equal(AugmentCommand.DefaultOutput, stated["output"]);
        Assert.Equal(AugmentCommand.DefaultDevice, stated["device"]);
        Assert.Equal(N(defaults.RotationDegrees), stated["rotate"]);
        Assert.Equal(N(defaults.Scale), stated["scale"]);
        Assert.Equal(N(defaults.ShearDegrees), stated["shear"]);
        Assert.Equal(N(defaults.TranslatePixels), stated["translate"]);
        Assert.Equal(N(defaults.ElasticSigma), stated["elastic-sigma"]);
        Assert.Equal(N(defaults.ElasticAlpha), stated["elastic-alpha"]);
    }
}
