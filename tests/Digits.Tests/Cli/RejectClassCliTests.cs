using System.Text.Json;
using System.Text.RegularExpressions;
using Digits.Cli.Commands;
using Digits.Cli.Verbs;
using Digits.Core.Model;
using Digits.Imaging;
using Digits.Tests.Data;
using Digits.Tests.Images;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary><c>train --reject-class</c> end to end: the model gains the 11th class, evaluate and predict --index take
/// it on MNIST, fine-tuning without the flag says it is needed, <c>predict --number</c> never prints it, and a resumed
/// run keeps it.</summary>
public sealed class RejectClassCliTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_reject_class_model_trains_evaluates_and_reads_numbers_in_digits_only()
    {
        var mnist = Support.RealData.RequireMnist();
        var test = mnist.Test;
        string train = _dir.File("train.csv"), held = _dir.File("test.csv"), model = _dir.File("reject.safetensors");
        KaggleCsv.Write(train, mnist.Train, 4000);
        KaggleCsv.Write(held, mnist.Test, 500);
        var (code, output, err) = DigitsCli.Run("train", "--preset", "quick", "--dataset", $"csv:{train},{held}",
            "--reject-class", "--device", "cpu", "--output", model);
        Assert.True(code == ExitCodes.Success, err);
        int each = (int)(4000 * NotADigit.Share / 2);
        Assert.Contains($"{each} '{NotADigit.ClassName}' images and {each} digits", output);
        Assert.Contains($"{4000 + 2 * each} images for training", output);
        var saved = ModelFile.Load(model);
        Assert.Equal(11, saved.Spec.Outputs);
        Assert.Equal(NotADigit.ClassName, ClassNames.Of(saved)[^1]);
        Assert.Equal((2 * each).ToString(), saved.Metadata["reject_examples"]);

        (code, output, err) = DigitsCli.Run("evaluate", "--model", model, "--device", "cpu", "--json");
        Assert.True(code == ExitCodes.Success, err);
        using (var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]))
        {
            Assert.InRange(json.RootElement.GetProperty("test_accuracy").GetDouble(), 0.8, 1.0);
            var classes = json.RootElement.GetProperty("per_class").EnumerateArray().ToArray();
            Assert.Equal(11, classes.Length);
            Assert.Equal(NotADigit.ClassName, classes[10].GetProperty("name").GetString());
            Assert.Equal(0, classes[10].GetProperty("images").GetInt32());
        }

        (code, output, err) = DigitsCli.Run("predict", "--model", model, "--index", "0", "--quiet");
        Assert.True(code == ExitCodes.Success, err);
        Assert.Matches($@"\[0\]: (\d|{NotADigit.ClassName})$", output.Trim());

        (code, _, err) = DigitsCli.Run("train", "--init", model, "--dataset", $"csv:{train},{held}", "--device", "cpu",
            "--output", _dir.File("tuned.safetensors"));
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Contains($"its '{NotADigit.ClassName}' class comes with --reject-class", err);

        string file = _dir.File("number.png");
        var number = NumberSet.Make(i => test.Image(i).ToArray(), i => test.Labels[i], test.Count, 5, 3);
        File.WriteAllBytes(file, TestImages.Encode(number.Image, SkiaSharp.SKEncodedImageFormat.Png));
        (code, output, err) = DigitsCli.Run("predict", "--model", model, "--number", "--quiet", file);
        Assert.True(code == ExitCodes.Success, err);
        Assert.Matches($"^{Regex.Escape(file)}: \\d+$", output.Trim());
    }

    [Fact]
    public void A_resumed_run_keeps_the_reject_class_and_refuses_adding_it_later()
    {
        TrainSettings Resolve(bool reject) => TrainSettings.Resolve(new TrainVerb
        {
            Output = "m.safetensors", Layers = "4", Epochs = 3, RejectClass = reject,
        });
        var resumed = TrainSettings.ForResume(new TrainVerb(), "ckpt", Resolve(true).ToFlagsJson());
        Assert.True(resumed.RejectClass);
        Assert.True(resumed.SameTraining(Resolve(true)));
        Assert.False(resumed.SameTraining(Resolve(false)));
        Assert.DoesNotContain("reject-class", Resolve(false).ToFlagsJson()); // older checkpoints stay readable
        var e = Assert.Throws<UsageException>(() =>
            TrainSettings.ForResume(new TrainVerb { RejectClass = true }, "ckpt", Resolve(false).ToFlagsJson()));
        Assert.StartsWith("--resume: --reject-class True differs", e.Message);
    }
}
