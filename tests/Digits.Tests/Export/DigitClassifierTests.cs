using Digits.Api;
using Digits.Core.Data;
using Digits.Core.Model;
using Digits.Core.Training;
using Digits.Cpu;
using Digits.Tests.Cli;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Export;

/// <summary>The library API: the same predictions as Digits' evaluator and as <c>digits predict</c>, and its
/// documented exceptions.</summary>
public sealed class DigitClassifierTests(QuickModel quick) : IClassFixture<QuickModel>
{
    [Fact]
    public void ClassifyBatch_agrees_with_the_evaluator_on_the_MNIST_test_set()
    {
        var test = RealData.RequireMnist().Test;
        using var classifier = DigitClassifier.Load(quick.Path);
        Assert.Equal("cpu", classifier.Device);
        Assert.Equal(784, classifier.Inputs);
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], classifier.ClassNames);
        var predictions = classifier.ClassifyBatch(test.Images);
        Assert.Equal(test.Count, predictions.Length);

        using var cpu = new CpuBackend();
        using var network = new DeviceNetwork(cpu, quick.Model, 1000, OptimizerKind.Sgd);
        using var data = new DeviceDataset(cpu, test);
        var evaluation = Evaluator.Evaluate(network, data, withPredictions: true);
        Close.AssertEqual(evaluation.Predictions!, predictions.Select(p => p.Class).ToArray(), "predicted classes");
        foreach (var p in predictions.Take(100))
        {
            Assert.InRange(p.Probabilities.Sum(), 0.9999f, 1.0001f);
            Assert.Equal(p.Probabilities.Max(), p.Confidence);
        }
        // One image alone gives the batch's answer.
        Assert.Equal(predictions[0].Class, classifier.Classify(test.Image(0)).Class);
        Close.AssertClose(predictions[0].Probabilities, classifier.Probabilities(test.Image(0)), Tolerance.Exact, "probabilities");
    }

    [Fact]
    public void ClassifyFile_gives_what_digits_predict_prints()
    {
        string png = Path.Combine(AppContext.BaseDirectory, "Fixtures", "redrawn", "0000_rgb.png");
        using var classifier = DigitClassifier.Load(quick.Path);
        var prediction = classifier.ClassifyFile(png);
        var (code, @out, err) = DigitsCli.Run("predict", "--model", quick.Path, "--quiet", png);
        Assert.True(code == 0, err);
        Assert.Equal($"{png}: {prediction.Name}", @out.Trim());
        Assert.Equal("7", prediction.Name);
        Close.AssertClose(MnistImage(png), DigitClassifier.LoadImage(png), Tolerance.Exact, "preprocessed");
    }

    [Fact]
    public void Its_documented_exceptions()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"no-such-{Guid.NewGuid():N}.safetensors");
        Assert.Throws<FileNotFoundException>(() => DigitClassifier.Load(missing));
        Assert.Contains("not a device", Assert.Throws<ArgumentException>(() => DigitClassifier.Load(quick.Path, "tpu")).Message);
        using var classifier = DigitClassifier.Load(quick.Path, "reference");
        Assert.Contains("784 floats", Assert.Throws<ArgumentException>(() => classifier.Probabilities(new float[10])).Message);
        Assert.Throws<ArgumentException>(() => classifier.ClassifyBatch(new float[785]));
        string notImage = Path.GetTempFileName();
        try
        {
            File.WriteAllText(notImage, "hello");
            Assert.Throws<DataFormatException>(() => classifier.ClassifyFile(notImage));
        }
        finally
        {
            File.Delete(notImage);
        }
        string text = Path.GetTempFileName();
        try
        {
            File.WriteAllText(text, "not a model");
            Assert.Throws<ModelFormatException>(() => DigitClassifier.Load(text));
        }
        finally
        {
            File.Delete(text);
        }
        classifier.Dispose();
        Assert.Throws<ObjectDisposedException>(() => classifier.Probabilities(new float[784]));
    }

    private static float[] MnistImage(string path) =>
        Digits.Imaging.MnistPreprocessor.Process(Digits.Imaging.ImageDecoder.Decode(path));
}
