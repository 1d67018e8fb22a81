using System.Text.Json;
using Digits.Cli;
using Digits.Cli.Commands;
using Digits.Cli.Verbs;
using Digits.Core.Backends;
using Digits.Imaging;
using Digits.Core.Model;
using Digits.Core.Training;
using Digits.Cpu;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary>A 784-128-10 ReLU model trained for 2 epochs on MNIST on the cpu backend (~2 s), saved once.</summary>
public sealed class QuickModel : IDisposable
{
    private readonly Lazy<(MlpModel Model, string Path)> _model = new(() =>
    {
        var data = RealData.RequireMnist();
        using var cpu = new CpuBackend();
        var options = new TrainingOptions { Epochs = 2, Seed = 7 };
        var initial = MlpModel.Initialize(new MlpSpec([784, 128, 10], Activation.Relu, LossKind.CrossEntropy), options.Seed);
        var model = new Trainer(cpu, options) { EvaluateEachEpoch = false }.Train(initial, data.Train, null, data.Test).Model;
        model.Metadata["dataset"] = "mnist";
        model.Metadata["class_names"] = JsonSerializer.Serialize(data.Test.ClassNames);
        string path = System.IO.Path.Combine(Directory.CreateTempSubdirectory("digits-predict-").FullName, "quick.safetensors");
        ModelFile.Save(path, model);
        return (model, path);
    });

    public MlpModel Model => _model.Value.Model;
    public string Path => _model.Value.Path;

    public void Dispose()
    {
        if (_model.IsValueCreated) Directory.Delete(System.IO.Path.GetDirectoryName(_model.Value.Path)!, recursive: true);
    }
}

public sealed class PredictTests(QuickModel quick) : IClassFixture<QuickModel>
{
    private static string Fixture(params string[] parts) =>
        Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);

    private static (int Code, string Out, string Err) Digits(params string[] args) => DigitsCli.Run(args);

    /// <summary>The model's predicted class for each (784) input, on the cpu backend.</summary>
    internal static int[] PredictAll(MlpModel model, IReadOnlyList<float[]> inputs) => Predict(model, inputs);

    private static int[] Predict(MlpModel model, IReadOnlyList<float[]> inputs)
    {
        using var cpu = new CpuBackend();
        using var network = new DeviceNetwork(cpu, model, inputs.Count, OptimizerKind.Sgd);
        var x = network.Input.View(0, inputs.Count * 784);
        cpu.Upload<float>(inputs.SelectMany(i => i).ToArray(), x);
        network.Forward(x, inputs.Count);
        var outputs = new float[inputs.Count * 10];
        cpu.Download(network.Outputs(inputs.Count), outputs);
        return Enumerable.Range(0, inputs.Count).Select(k =>
        {
            var row = outputs.AsSpan(k * 10, 10).ToArray();
            return Array.IndexOf(row, row.Max());
        }).ToArray();
    }

    [Fact]
    public void Redrawn_digits_score_within_2_points_of_their_originals_and_above_floors_as_do_font_digits()
    {
        var test = RealData.RequireMnist().Test;
        var rows = File.ReadAllLines(Fixture("redrawn", "labels.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        var redrawn = rows.Select(r => MnistPreprocessor.Process(ImageDecoder.Decode(Fixture(r[0])))).ToList();
        var originals = rows.Select(r => test.Image(int.Parse(r[2])).ToArray()).ToList();
        int[] labels = rows.Select(r => int.Parse(r[1])).ToArray();
        var onRedrawn = Predict(quick.Model, redrawn);
        var onOriginals = Predict(quick.Model, originals);
        double accRedrawn = onRedrawn.Zip(labels).Average(p => p.First == p.Second ? 1.0 : 0);
        double accOriginal = onOriginals.Zip(labels).Average(p => p.First == p.Second ? 1.0 : 0);
        var output = TestContext.Current.TestOutputHelper!;
        output.WriteLine($"redrawn fixtures: {accRedrawn:0.0%} of {rows.Length}; the same digits' MNIST originals: {accOriginal:0.0%}");
        foreach (var (r, k) in rows.Select((r, k) => (r, k)).Where(x => onRedrawn[x.k] != labels[x.k]))
            output.WriteLine($"  missed {r[0]}: label {labels[k]}, predicted {onRedrawn[k]} (original predicted {onOriginals[k]})");

        var fonts = Directory.GetFiles(Fixture("fonts"), "*.png").Order().ToArray();
        var onFonts = Predict(quick.Model, fonts.Select(f => MnistPreprocessor.Process(ImageDecoder.Decode(f))).ToList());
        double accFonts = fonts.Zip(onFonts).Average(p => Path.GetFileName(p.First)[0] - '0' == p.Second ? 1.0 : 0);
        output.WriteLine($"font digits: {accFonts:0.0%} of {fonts.Length}");
        foreach (var (f, p) in fonts.Zip(onFonts).Where(x => Path.GetFileName(x.First)[0] - '0' != x.Second))
            output.WriteLine($"  missed {Path.GetFileName(f)}: predicted {p}");

        Assert.True(Math.Abs(accRedrawn - accOriginal) <= 0.02 + 1e-9,
            $"redrawn {accRedrawn:0.0%} vs originals {accOriginal:0.0%}");
        // Floors, not just a difference: a preprocessing fault that hurt the redrawn digits and the originals' model
        // alike, or one that broke typed digits (inversion, cropping, centering), would otherwise pass. Measured:
        // 96.3 % of 80 redrawn and 86.7 % of 30 typed; chance is 10 %.
        Assert.True(accRedrawn >= 0.90, $"redrawn digits: {accRedrawn:0.0%} of {rows.Length}, below the 90 % floor");
        Assert.True(accFonts >= 0.75, $"typed-font digits: {accFonts:0.0%} of {fonts.Length}, below the 75 % floor");
    }

    [Fact]
    public void Text_output_shows_the_top_three_and_show_prints_the_28x28_input()
    {
        string seven = Fixture("fonts", "7_DejaVu-Sans.png");
        var (code, output, err) = Digits("predict", "--model", quick.Path, "--show", seven);
        Assert.True(code == 0, err);
        string[] lines = output.Replace("\r", "").TrimEnd('\n').Split('\n');
        Assert.Equal(seven, lines[0]);
        Assert.Equal(1 + 28 + 3, lines.Length);
        Assert.All(lines[1..29], l => Assert.Equal(28, l.Length));
        Assert.Matches(@"^  1\. \d +\d+\.\d\d%$", lines[29]); // the class once: "  1. 7   99.72%", not "7 7"
        Assert.StartsWith("  3. ", lines[31]);
    }

    [Fact]
    public void Json_has_one_object_per_image_with_every_probability()
    {
        string[] files = [Fixture("fonts", "3_DejaVu-Serif-Bold.png"), Fixture("kat", "rgba8.png")];
        var (code, output, err) = Digits(["predict", "--model", quick.Path, "--json", "--index", "0", .. files]);
        Assert.True(code == 0, err);
        string[] lines = output.Trim().Split('\n');
        Assert.Equal(3, lines.Length);
        for (int k = 0; k < 3; k++)
        {
            using var doc = JsonDocument.Parse(lines[k]);
            var o = doc.RootElement;
            var p = o.GetProperty("probabilities").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.Equal(10, p.Length);
            Assert.Equal(1.0, p.Sum(), 4);
            int predicted = o.GetProperty("predicted").GetInt32();
            Assert.Equal(Array.IndexOf(p, p.Max()), predicted);
            Assert.Equal(predicted.ToString(), o.GetProperty("name").GetString());
            Assert.Equal(k < 2 ? files[k] : "mnist/t10k[0]", o.GetProperty("file").GetString());
        }
        using var indexed = JsonDocument.Parse(lines[2]);
        Assert.Equal(7, indexed.RootElement.GetProperty("label").GetInt32()); // MNIST test image 0 is a 7
    }

    [Fact]
    public void A_malformed_or_missing_image_is_one_line_naming_the_file_and_exit_2()
    {
        string bad = Path.Combine(Path.GetTempPath(), $"digits-bad-{Guid.NewGuid():N}.png");
        File.WriteAllBytes(bad, [.. SkiaDecoder.PngSignature, 0, 0, 0, 13, (byte)'I', (byte)'H']);
        try
        {
            foreach (var (file, expected) in new[] { (bad, "truncated"), ("/no/such/digit.png", "no such file") })
            {
                var (code, _, err) = Digits("predict", "--model", quick.Path, file);
                Assert.Equal(ExitCodes.UsageOrInput, code);
                Assert.Single(err.TrimEnd().Split('\n'));
                Assert.Contains(file, err);
                Assert.Contains(expected, err);
            }
        }
        finally
        {
            File.Delete(bad);
        }
    }

    /// <summary>A phone-size photo (4000×3000 JPEG, <see cref="Images.PhotoSet"/>) of MNIST test digit 0 and smaller
    /// photos of digits 1–3 turned into WebP, GIF and BMP: <c>predict --json</c> reads each and gets its label.</summary>
    [Fact]
    public void A_phone_jpeg_a_webp_a_gif_and_a_bmp_are_classified()
    {
        var test = RealData.RequireMnist().Test;
        string folder = Directory.CreateTempSubdirectory("digits-formats-").FullName;
        try
        {
            var files = new List<(string Path, int Label)>();
            var phone = Images.PhotoSet.Make(test.Image(0), 0, phone: true);
            files.Add((Path.Combine(folder, "phone.jpg"), test.Labels[0]));
            File.WriteAllBytes(files[0].Path, phone.Jpeg);
            foreach (var (index, format) in new[] { (1, "webp"), (2, "gif"), (3, "bmp") })
            {
                var photo = ImageDecoder.Decode(Images.PhotoSet.Make(test.Image(index), 100 + index, phone: false).Jpeg, "photo.jpg");
                byte[] bytes = format switch
                {
                    "webp" => Images.TestImages.Encode(photo, SkiaSharp.SKEncodedImageFormat.Webp, 80),
                    "gif" => Images.TestImages.Gif(photo),
                    _ => Images.TestImages.Bmp(photo),
                };
                files.Add((Path.Combine(folder, "digit." + format), test.Labels[index]));
                File.WriteAllBytes(files[^1].Path, bytes);
            }
            var (code, output, err) = Digits(["predict", "--model", quick.Path, "--json", .. files.Select(f => f.Path)]);
            Assert.True(code == 0, err);
            string[] lines = output.Trim().Split('\n');
            Assert.Equal(files.Count, lines.Length);
            for (int k = 0; k < files.Count; k++)
            {
                using var doc = JsonDocument.Parse(lines[k]);
                Assert.True(files[k].Label == doc.RootElement.GetProperty("predicted").GetInt32(), $"{files[k].Path}: {lines[k]}");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A photo of a blank page — uneven light, noise, a ruled line, JPEG — says so instead of guessing.</summary>
    [Fact]
    public void A_photo_with_no_digit_says_so()
    {
        string file = Path.Combine(Path.GetTempPath(), $"digits-blank-{Guid.NewGuid():N}.jpg");
        int seed = Enumerable.Range(1, 50).First(Ruled);
        File.WriteAllBytes(file, Images.PhotoSet.Make(new float[784], seed, phone: false).Jpeg);
        try
        {
            var (code, output, err) = Digits("predict", "--model", quick.Path, file);
            Assert.True(code == 0, err);
            Assert.Equal($"{file}: no digit found", output.Trim()[..(file.Length + 16)]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static bool Ruled(int seed) => Images.PhotoSet.Make(new float[784], seed, phone: false).Description.Contains("ruled line");

    [Fact]
    public void Mse_outputs_are_normalized_and_softmax_is_stable()
    {
        Assert.Equal([0.25f, 0.75f], OutputProbabilities.From([0.1f, 0.3f], LossKind.Quadratic));
        var p = OutputProbabilities.From([1000f, 1000f, -1000f], LossKind.CrossEntropy);
        Assert.Equal([0.5f, 0.5f, 0f], p);
    }
}
