using Digits.Cli;
using Digits.Cli.Verbs;
using Digits.Core.Backends;
using Digits.Core.Model;
using Digits.Tests.Mutation;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary><c>evaluate</c>, <c>report</c> and <c>predict</c> refuse a model made for another input size or class
/// count with one line naming the --model file and both sizes, exit 2 — before any device or evaluation work. The
/// data is a pair of small CSVs, so these tests need no MNIST.</summary>
public sealed class ModelFitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("digits-fit-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Digits(params string[] args) => DigitsCli.Run(args);

    /// <summary>"csv:TRAIN,TEST" of two tiny labelled CSVs (784 pixels, 10 classes).</summary>
    private string CsvDataset()
    {
        string train = Path.Combine(_dir, "train.csv"), test = Path.Combine(_dir, "test.csv");
        File.WriteAllBytes(train, CsvMutationTests.Csv(20, labelled: true));
        File.WriteAllBytes(test, CsvMutationTests.Csv(10, labelled: true));
        return $"csv:{train},{test}";
    }

    private string Model(string name, int[] widths, string? dataset = null)
    {
        var model = MlpModel.Initialize(new MlpSpec(widths, Activation.Relu, LossKind.CrossEntropy), seed: 1);
        if (dataset is not null) model.Metadata["dataset"] = dataset;
        string path = Path.Combine(_dir, name);
        ModelFile.Save(path, model);
        return path;
    }

    private static void AssertOneLineUsageError((int Code, string Out, string Err) run, params string[] expected)
    {
        Assert.Equal(ExitCodes.UsageOrInput, run.Code);
        Assert.StartsWith("digits: ", run.Err);
        Assert.Single(run.Err.TrimEnd().Split('\n'));
        foreach (string e in expected) Assert.Contains(e, run.Err);
        Assert.DoesNotContain("device:", run.Out); // refused before a device was opened
    }

    [Fact]
    public void Evaluate_refuses_a_model_for_another_input_width_naming_the_file_and_both_sizes()
    {
        string model = Model("wide.safetensors", [100, 16, 10]);
        var run = Digits("evaluate", "--model", model, "--dataset", CsvDataset(), "--device", "cpu");
        AssertOneLineUsageError(run, $"--model {model}: ", "Mlp[100→16→10, relu]",
            "takes 100 pixels per image but csv:test.csv has 784 (28×28)");
    }

    [Fact]
    public void Evaluate_refuses_a_model_with_another_class_count()
    {
        string model = Model("five.safetensors", [784, 16, 5]);
        var run = Digits("evaluate", "--model", model, "--dataset", CsvDataset(), "--device", "cpu");
        AssertOneLineUsageError(run, $"--model {model}: ", "has 5 output classes but csv:test.csv has 10");
    }

    [Fact]
    public void Report_refuses_a_model_that_fits_neither_size()
    {
        string model = Model("odd.safetensors", [100, 5]);
        var run = Digits("report", "--model", model, "--dataset", CsvDataset(), "--out", Path.Combine(_dir, "report"),
            "--device", "cpu");
        AssertOneLineUsageError(run, $"--model {model}: ", "takes 100 pixels per image but csv:test.csv has 784",
            "and has 5 output classes but csv:test.csv has 10");
        Assert.False(Directory.Exists(Path.Combine(_dir, "report")));
    }

    [Fact]
    public void Predict_refuses_a_model_whose_input_is_not_28x28()
    {
        string model = Model("wide.safetensors", [100, 10]);
        string image = Path.Combine(AppContext.BaseDirectory, "Fixtures", "kat", "gray8.png");
        var run = Digits("predict", "--model", model, image);
        AssertOneLineUsageError(run, $"--model {model}: ", "takes 100 pixels per image but predict feeds it 28×28 = 784 (MNIST-style preprocessing)");
    }

    /// <summary>With --index the true label is printed by the model's class names: a model with fewer classes than
    /// the dataset is refused rather than failing on a label it has no name for.</summary>
    [Fact]
    public void Predict_index_refuses_a_model_with_fewer_classes_than_its_dataset()
    {
        string dataset = CsvDataset();
        string model = Model("five.safetensors", [784, 5], dataset);
        var run = Digits("predict", "--model", model, "--index", "3", "--device", "cpu");
        AssertOneLineUsageError(run, $"--model {model}: ", "has 5 output classes but csv:test.csv has 10");
    }

    [Fact]
    public void A_model_that_fits_is_evaluated()
    {
        string model = Model("fits.safetensors", [784, 16, 10]);
        var (code, output, err) = Digits("evaluate", "--model", model, "--dataset", CsvDataset(), "--device", "cpu",
            "--quiet");
        Assert.True(code == 0, err);
        Assert.Contains("test: csv:test.csv, 10 images", output);
    }

    [Fact]
    public void A_model_whose_metadata_disagrees_with_its_tensors_is_one_line_naming_the_file()
    {
        var model = MlpModel.Initialize(new MlpSpec([784, 16, 10], Activation.Relu, LossKind.CrossEntropy), seed: 1);
        model.Metadata["input_shape"] = "20,20";
        string path = Path.Combine(_dir, "shape.safetensors");
        ModelFile.Save(path, model);
        var run = Digits("evaluate", "--model", path, "--dataset", CsvDataset(), "--device", "cpu");
        AssertOneLineUsageError(run, "shape.safetensors: metadata input_shape '20,20' is 400 pixels per image but " +
                                     "the architecture 784,16,10 takes 784 inputs");
    }

    /// <summary>Issue 24: a model trained on MNIST and evaluated on MNIST's images as a CSV was warned to score near
    /// chance, then scored 100 %: a CSV may hold any dataset's images, so only two catalog datasets that differ are
    /// warned about (fashion-mnist against mnist still is: FirstContactTests).</summary>
    [Fact]
    public void A_CSV_is_not_taken_for_another_dataset_than_the_models()
    {
        string csv = CsvDataset();
        foreach (string trained in new[] { "mnist", "kmnist", csv })
        {
            string model = Model("m.safetensors", [784, 8, 10], trained);
            var (code, _, err) = Digits("evaluate", "--model", model, "--dataset", csv, "--device", "cpu", "--quiet");
            Assert.True(code == ExitCodes.Success, err);
            Assert.DoesNotContain("warning", err);
        }
        string fashion = Model("f.safetensors", [784, 8, 10], "fashion-mnist");
        var (_, _, warned) = Digits("evaluate", "--model", fashion, "--dataset", "mnist", "--data", _dir, "--no-download");
        Assert.StartsWith("digits: warning: f.safetensors was trained on fashion-mnist, not mnist; its accuracy on mnist " +
                          "measures a model on data it never learned (near chance is expected)", warned);
    }
}
