using System.Text.Json;
using Digits.Core.Model;
using Digits.Cpu;
using Digits.Imaging;
using Digits.Tests.Images;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary><c>predict --number</c>: numbers of 2–5 MNIST test digits, touching pairs and broken strokes among them
/// (<see cref="NumberSet"/>), read exactly. DIGITS_NUMBERS sets how many (default 100, a few seconds; the README's
/// figures used 1000), DIGITS_NUMBER_SEED the first seed (default 0; the segmentation's costs were set on seeds from
/// 1000000 on, the README's figures use seeds from 2000000 on, which they were not tuned on).</summary>
public sealed class NumberTests(QuickModel quick) : IClassFixture<QuickModel>
{
    /// <summary>The test's quick model, or the model file named by DIGITS_TEST_MODEL (for the README's figures).</summary>
    private MlpModel Model =>
        Environment.GetEnvironmentVariable("DIGITS_TEST_MODEL") is { Length: > 0 } path ? ModelFile.Load(path) : quick.Model;

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int n) && n >= 0 ? n : fallback;

    [Fact]
    public void Numbers_of_two_to_five_test_digits_are_read_exactly()
    {
        var test = RealData.RequireMnist().Test;
        int count = Math.Max(1, Setting("DIGITS_NUMBERS", 100)), first = Setting("DIGITS_NUMBER_SEED", 0);
        var output = TestContext.Current.TestOutputHelper!;
        using var cpu = new CpuBackend();
        var model = Model;
        using var network = new InferenceNetwork(cpu, model, 256);
        Func<float[], float[][]> probabilities = fields => network.Probabilities(fields);
        int reject = NotADigit.IndexIn(ClassNames.Of(model));
        string Read(IEnumerable<float[]> fields) =>
            string.Concat(probabilities(fields.SelectMany(f => f).ToArray()).Select(p => NotADigit.BestDigit(p, reject)));
        var tally = new SortedDictionary<string, Tally>(StringComparer.Ordinal);
        for (int seed = first; seed < first + count; seed++)
        {
            int length = 2 + seed % 4;
            var number = NumberSet.Make(i => test.Image(i).ToArray(), i => test.Labels[i], test.Count, length, seed);
            var (digits, problem) = MnistPreprocessor.PrepareNumber(number.Image, probabilities, reject);
            string read = problem is null ? Read(digits.Select(d => d.Field)) : "";
            string alone = Read(number.Indices.Select(i => test.Image(i).ToArray()));
            string[] kinds = ["all", $"{length} digits", number.Touching > 0 ? "with touching digits" : "",
                number.Broken > 0 ? "with a broken digit" : "", number.Touching + number.Broken == 0 ? "neither" : ""];
            foreach (string kind in kinds.Where(k => k.Length > 0))
                (tally.TryGetValue(kind, out var t) ? t : tally[kind] = new Tally()).Add(read == number.Text, alone == number.Text);
            if (read != number.Text)
                output.WriteLine($"  seed {seed}: {number.Text} read as '{read}'{(problem is null ? "" : $" ({problem})")}; " +
                                 $"touching pairs {number.Touching}, broken digits {number.Broken}; the digits alone: {alone}");
        }
        foreach (var (kind, t) in tally) output.WriteLine($"{kind}: {t}");
        // The target (>= 95 % exact) is for a good model: a number is exact only if every digit is, so the 2-epoch test
        // model (about 95 % per digit) cannot reach it even on MNIST's own images. What segmentation costs is asserted:
        // of the numbers whose digits the model reads right one by one, the share read exactly (old behaviour kept for
        // separate digits; touching pairs, which were never split before this reading, mostly cut right).
        var (all, neither, touching) = (tally["all"], tally["neither"], tally["with touching digits"]);
        Assert.True(all.Segmented >= 0.75 && neither.Segmented >= 0.90 && touching.Segmented >= 0.5,
            $"all: {all}; neither: {neither}; touching: {touching}");
    }

    /// <summary>How numbers of one kind were read: how many exactly, and of those whose digits the model reads right
    /// one by one as MNIST stores them ("alone"), how many exactly (what segmentation keeps).</summary>
    private sealed class Tally
    {
        private int _all, _exact, _alone, _aloneExact;

        public double Segmented => _alone == 0 ? 1 : (double)_aloneExact / _alone;

        public void Add(bool exact, bool alone) =>
            (_all, _exact, _alone, _aloneExact) = (_all + 1, _exact + (exact ? 1 : 0), _alone + (alone ? 1 : 0), _aloneExact + (exact && alone ? 1 : 0));

        public override string ToString() =>
            $"{(double)_exact / _all:0.0%} exact ({_exact} of {_all}); their digits alone: {(double)_alone / _all:0.0%}; " +
            $"of those, read exactly: {Segmented:0.0%} ({_aloneExact} of {_alone})";
    }

    [Fact]
    public void Predict_number_prints_the_number_and_each_digits_confidence()
    {
        var test = RealData.RequireMnist().Test;
        var number = NumberSet.Make(i => test.Image(i).ToArray(), i => test.Labels[i], test.Count, 4, 1);
        string file = Path.Combine(Path.GetTempPath(), $"digits-number-{Guid.NewGuid():N}.png");
        File.WriteAllBytes(file, TestImages.Encode(number.Image, SkiaSharp.SKEncodedImageFormat.Png));
        try
        {
            var (code, output, err) = DigitsCli.Run("predict", "--model", quick.Path, "--number", "--json", file);
            Assert.True(code == 0, err);
            using var doc = JsonDocument.Parse(output.Trim());
            // what the model reads in the segmented digits (a 95 % model does not read every number right)
            using var cpu = new CpuBackend();
            using var network = new InferenceNetwork(cpu, quick.Model, 256);
            var (digits, _) = MnistPreprocessor.PrepareNumber(ImageDecoder.Decode(file), f => network.Probabilities(f));
            string expected = string.Concat(PredictTests.PredictAll(quick.Model, digits.Select(d => d.Field).ToList()));
            Assert.Equal(expected, doc.RootElement.GetProperty("number").GetString());
            Assert.Equal(number.Text.Length, doc.RootElement.GetProperty("digits").GetArrayLength());
            (code, output, err) = DigitsCli.Run("predict", "--model", quick.Path, "--number", file);
            Assert.True(code == 0, err);
            string confidences = string.Join(", ", Enumerable.Repeat(@"\d \d+\.\d%", number.Text.Length));
            Assert.Matches($@"^{System.Text.RegularExpressions.Regex.Escape(file)}: {expected}  \({confidences}\)$", output.Trim());
        }
        finally
        {
            File.Delete(file);
        }
    }
}
