using Digits.Cli;
using Digits.Cli.Verbs;
using Digits.Cli.Commands;
using Digits.Core.Backends;
using Digits.Core.Model;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Cli;

public sealed class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("digits-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Digits(params string[] args) => DigitsCli.Run(args);

    [Theory]
    [InlineData("train --bogus", "unknown option '--bogus'")]
    [InlineData("train --epochs abc", "--epochs: 'abc' is not a valid value")]
    [InlineData("train --epochs -3", "--epochs must be at least 1, got -3")]
    [InlineData("train --batch-size 0", "--batch-size must be at least 1, got 0")]
    [InlineData("train --layers 256,0", "--layers: '0' in '256,0' is not a width")]
    [InlineData("train --activation swish", "--activation: unknown activation 'swish'")]
    [InlineData("train --optimizer lbfgs", "--optimizer: unknown optimizer 'lbfgs'")]
    [InlineData("train --preset lenet", "--preset: unknown preset 'lenet'")]
    [InlineData("train --dataset emnist", "unknown dataset 'emnist'")]
    [InlineData("train --device tpu", "--device: 'tpu' is not a device")]
    [InlineData("train --output /no/such/folder/m.safetensors", "--output: folder /no/such/folder does not exist")]
    [InlineData("train --threads -1", "--threads must be ≥ 0, got -1")]
    [InlineData("train --validation -5", "--validation must be ≥ 0, got -5")]
    [InlineData("train --validation 60000 --data /nonexistent", "--validation 60000 must be less than the 60000 training images of mnist")]
    [InlineData("train --lr 0", "--lr must be a positive number, got 0")]
    [InlineData("train --lr nan", "--lr must be a positive number, got NaN")]
    [InlineData("train --momentum 1", "--momentum must be in [0, 1), got 1")]
    [InlineData("train --weight-decay -1", "--weight-decay must be ≥ 0, got -1")]
    [InlineData("train --lr-step-epochs 0", "--lr-step-epochs must be at least 1, got 0")]
    [InlineData("train --loss hinge", "--loss: unknown loss 'hinge'; use cross-entropy or mse")]
    [InlineData("train --layers ,", "--layers: '' in ',' is not a width from 1 to 65536")]
    [InlineData("train --seed -1", "--seed: '-1' is not a valid value")]
    [InlineData("train --output /", "--output: / is a folder; give a file name")]
    [InlineData("frobnicate", "unknown verb 'frobnicate'")]
    [InlineData("evaluate", "--model is required")]
    [InlineData("predict digit.png", "--model is required")]
    public void Usage_errors_print_one_line_and_exit_2(string commandLine, string expected)
    {
        var (code, _, err) = Digits(commandLine.Split(' '));
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Contains(expected, err);
        Assert.Single(err.TrimEnd().Split('\n'));
        Assert.StartsWith("digits: ", err);
    }

    [Fact]
    public void A_missing_explicit_device_exits_2_with_its_reason_and_never_falls_back()
    {
        var (code, _, err) = Digits("train", "--device", "cuda", "--epochs", "1");
        if (code == ExitCodes.Success) Assert.Skip("a CUDA device is present here");
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Contains("--device cuda: ", err);
    }

    [Theory]
    [InlineData(typeof(TrainVerb))]
    [InlineData(typeof(EvaluateVerb))]
    [InlineData(typeof(PredictVerb))]
    [InlineData(typeof(ServeVerb))]
    [InlineData(typeof(DownloadVerb))]
    [InlineData(typeof(DevicesVerb))]
    [InlineData(typeof(CheckVerb))]
    [InlineData(typeof(BenchVerb))]
    public void Help_lists_every_flag_grouped_by_topic(Type verb)
    {
        string name = verb.Name.Replace("Verb", "").ToLowerInvariant();
        var (code, output, _) = Digits(name, "--help");
        Assert.Equal(0, code);
        foreach (var option in Help.Options(verb))
            Assert.Contains($"--{option.Name}", output);
        Assert.Contains("Exit codes: 0 success", output);
    }

    [Fact]
    public void Help_and_the_README_document_every_exit_code()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var codes = typeof(ExitCodes).GetFields().Select(f => (int)f.GetValue(null)!).Order().ToList();
        Assert.Equal([0, 1, 2, 130], codes);
        string[] words = ["success", "runtime failure", "usage or input error", "interrupted"];
        foreach (var (value, word) in codes.Zip(words))
        {
            Assert.Contains($"{value} {word}", Help.ExitCodeText);
            Assert.Contains($"{value} {word}", readme.ReplaceLineEndings(" "));
        }
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Digits.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Digits.sln not found above the test binaries");
    }

    [Fact]
    public void Help_defaults_are_the_defaults_train_really_uses()
    {
        var resolved = TrainSettings.Resolve(new TrainVerb());
        var stated = Help.Options(typeof(TrainVerb)).ToDictionary(o => o.Name, o => o.Default);
        var t = resolved.Training;
        Assert.Equal(stated["epochs"], t.Epochs.ToString());
        Assert.Equal(stated["batch-size"], t.BatchSize.ToString());
        Assert.Equal(stated["lr"], t.LearningRate.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(stated["optimizer"], t.Optimizer.ToString().ToLowerInvariant());
        Assert.Equal(stated["lr-schedule"], t.Schedule.ToString().ToLowerInvariant());
        Assert.Equal(stated["seed"], t.Seed.ToString());
        Assert.Equal(stated["layers"], string.Join(',', resolved.Hidden));
        Assert.Equal(stated["activation"], resolved.Activation.Name());
        Assert.Equal(stated["loss"], resolved.Loss.Name());
        Assert.Equal(stated["output"], resolved.Output);
        Assert.Equal(stated["momentum"], t.Momentum.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(stated["weight-decay"], t.WeightDecay.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Preset_values_apply_and_explicit_flags_override_them()
    {
        var nielsen = TrainSettings.Resolve(new TrainVerb { Preset = "nielsen" });
        Assert.Equal([30], nielsen.Hidden);
        Assert.Equal(3.0f, nielsen.Training.LearningRate);
        Assert.Equal(10, nielsen.Training.BatchSize);
        Assert.Equal(30, nielsen.Training.Epochs);
        Assert.Equal(LossKind.Quadratic, nielsen.Loss);
        var shorter = TrainSettings.Resolve(new TrainVerb { Preset = "nielsen", Epochs = 2 });
        Assert.Equal(2, shorter.Training.Epochs);
    }

    [Fact]
    public void Train_then_evaluate_reports_the_same_accuracy_and_json_lines()
    {
        RealData.RequireMnist();
        string model = Path.Combine(_dir, "m.safetensors");
        var (code, output, err) = Digits("train", "--device", "cpu", "--layers", "32", "--epochs", "1",
            "--json", "--output", model, "--validation", "1000");
        Assert.True(code == 0, err);
        string[] lines = output.Trim().Split('\n');
        Assert.Equal(2, lines.Length); // one epoch object, one summary object
        using var epoch = System.Text.Json.JsonDocument.Parse(lines[0]);
        foreach (string field in new[] { "epoch", "train_loss", "test_loss", "test_accuracy", "seconds", "images_per_second", "validation_accuracy" })
            Assert.True(epoch.RootElement.TryGetProperty(field, out _), $"epoch object lacks {field}: {lines[0]}");
        using var summary = System.Text.Json.JsonDocument.Parse(lines[1]);
        double trained = summary.RootElement.GetProperty("test_accuracy").GetDouble();
        Assert.True(trained > 0.85, $"accuracy {trained}");

        var loaded = ModelFile.Load(model);
        Assert.Equal("mnist", loaded.Metadata["dataset"]);
        Assert.Equal("1", loaded.Metadata["epochs"]);

        var (evalCode, evalOut, evalErr) = Digits("evaluate", "--model", model, "--device", "cpu", "--json");
        Assert.True(evalCode == 0, evalErr);
        using var eval = System.Text.Json.JsonDocument.Parse(evalOut.Trim());
        Assert.Equal(trained, eval.RootElement.GetProperty("test_accuracy").GetDouble(), 10);
        Assert.Equal(10, eval.RootElement.GetProperty("per_class").GetArrayLength());
        var matrix = eval.RootElement.GetProperty("confusion_matrix");
        Assert.Equal(10, matrix.GetArrayLength());
        int diagonal = Enumerable.Range(0, 10).Sum(k => matrix[k][k].GetInt32());
        Assert.Equal(Math.Round(trained * 10000), diagonal);

        var (textCode, text, _) = Digits("evaluate", "--model", model, "--device", "cpu");
        Assert.Equal(0, textCode);
        Assert.Contains("precision", text);
        Assert.Contains("confusion matrix", text);
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("ilgpu-cpu")]
    public void Check_runs_every_kernel_against_the_reference_and_passes(string device)
    {
        TestBackends.Get(device); // skip (or, for ilgpu-cpu in CI, fail) with the reason when the device is missing
        var (code, output, err) = Digits("check", "--device", device);
        Assert.True(code == 0, output + err);
        foreach (string kernel in new[] { "linear_forward (relu)", "linear_backward_input", "linear_backward_weight",
                     "bias_backward", "activation_backward (tanh)", "softmax_cross_entropy", "quadratic_cost",
                     "gather_batch", "argmax", "count_correct", "sgd_step", "momentum_step", "adam_step", "dropout", "max_norm",
                     "augment" })
            Assert.Contains(kernel, output);
        Assert.Contains("all kernels agree with the reference", output);
        Assert.DoesNotContain("FAIL", output);
    }

    [Fact]
    public void Devices_lists_every_backend_or_why_it_is_unavailable()
    {
        var (code, output, _) = Digits("devices");
        Assert.Equal(0, code);
        Assert.Matches(@"(?m)^  cpu +cpu: \d+ threads", output);
        Assert.Matches(@"(?m)^  ilgpu-cpu +ILGPU CPU accelerator", output);
        Assert.Matches(@"(?m)^  (opencl:0 +\S|opencl +unavailable: \S)", output);
        Assert.Matches(@"(?m)^  (cuda:0 +\S|cuda +unavailable: \S)", output);
        Assert.Matches(@"(?m)^--device auto takes (cpu|cuda:\d|opencl:\d) \(", output);
        Assert.DoesNotContain("--device auto takes ilgpu-cpu", output);
    }

    [Fact]
    public void A_network_too_large_for_one_parameter_buffer_is_refused_before_any_work()
    {
        var (code, _, err) = Digits("train", "--layers", "65536,65536", "--data", _dir);
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Contains("--layers 65536,65536: 4,347,133,962 parameters", err);
    }

    [Fact]
    public void Bench_json_has_one_object_per_device_and_configuration_with_the_documented_fields()
    {
        RealData.RequireMnist();
        var (code, output, err) = Digits("bench", "--devices", "cpu", "--config", "nielsen", "--epochs", "1",
            "--warmup", "0", "--json");
        Assert.True(code == 0, err);
        string[] lines = output.Trim().Split('\n');
        Assert.Single(lines);
        using var row = System.Text.Json.JsonDocument.Parse(lines[0]);
        var r = row.RootElement;
        foreach (string field in new[] { "device", "config", "median_epoch_seconds", "min_epoch_seconds", "max_epoch_seconds",
                     "images_per_second", "gflops_per_second", "peak_gflops_per_second", "launches_per_step",
                     "peak_device_bytes", "speedup_vs_cpu" })
            Assert.True(r.TryGetProperty(field, out _), $"bench JSON lacks {field}: {lines[0]}");
        Assert.Equal("cpu", r.GetProperty("device").GetString());
        Assert.Equal(1.0, r.GetProperty("speedup_vs_cpu").GetDouble(), 6);
        // nielsen: 784·30 + 30·10 = 23820 multiply-adds per image → 6·23820 − 2·784·30 FLOPs per image.
        double images = r.GetProperty("images_per_second").GetDouble();
        Assert.Equal(images * (6 * 23820 - 2 * 784 * 30) / 1e9, r.GetProperty("gflops_per_second").GetDouble(), 3);
        Assert.True(r.GetProperty("launches_per_step").GetDouble() >= 10, "a training step has at least 10 ops");
        Assert.True(r.GetProperty("peak_device_bytes").GetInt64() > 60000L * 784 * 4, "the dataset is on the device");
    }

    [Fact]
    public void Fashion_MNIST_trains_end_to_end_with_its_class_names_in_the_tables()
    {
        RealData.RequireMnist();
        global::Digits.Tests.Data.RealData.Folder("fashion-mnist"); // fails when DIGITS_DATA lacks it
        string model = Path.Combine(_dir, "fashion.safetensors");
        var (code, _, err) = Digits("train", "--dataset", "fashion-mnist", "--device", "cpu", "--layers", "64", "--epochs", "1",
            "--output", model, "--quiet");
        Assert.True(code == 0, err);
        Assert.Contains("\"Ankle boot\"", ModelFile.Load(model).Metadata["class_names"]);
        var (evalCode, text, evalErr) = Digits("evaluate", "--model", model, "--device", "cpu");
        Assert.True(evalCode == 0, evalErr);
        Assert.Contains("fashion-mnist/t10k", text);
        Assert.Contains("9 Ankle boot", text);
        Assert.Contains("6 Shirt", text);
    }

    [Fact]
    public void Train_report_is_well_formed_xhtml_whose_numbers_equal_the_evaluation()
    {
        RealData.RequireMnist();
        string model = Path.Combine(_dir, "m.safetensors"), reportDir = Path.Combine(_dir, "report");
        var (code, _, err) = Digits("train", "--device", "cpu", "--layers", "32", "--epochs", "2", "--output", model,
            "--report", reportDir, "--quiet");
        Assert.True(code == 0, err);
        var settings = new System.Xml.XmlReaderSettings { DtdProcessing = System.Xml.DtdProcessing.Ignore };
        using var reader = System.Xml.XmlReader.Create(Path.Combine(reportDir, "index.html"), settings);
        var doc = System.Xml.Linq.XDocument.Load(reader); // throws unless the HTML and its SVG are well-formed
        System.Xml.Linq.XNamespace x = "http://www.w3.org/1999/xhtml", svg = "http://www.w3.org/2000/svg";

        var (evalCode, evalOut, _) = Digits("evaluate", "--model", model, "--device", "cpu", "--json");
        Assert.Equal(0, evalCode);
        using var eval = System.Text.Json.JsonDocument.Parse(evalOut.Trim());
        double accuracy = eval.RootElement.GetProperty("test_accuracy").GetDouble();
        var summary = doc.Descendants(x + "p").Single(e => e.Attribute("data-accuracy") is not null);
        Assert.Equal(accuracy, double.Parse(summary.Attribute("data-accuracy")!.Value, System.Globalization.CultureInfo.InvariantCulture), 6);
        var cells = doc.Descendants(svg + "rect").Where(e => e.Attribute("data-count") is not null).ToList();
        Assert.Equal(100, cells.Count);
        // The settings the model was trained with, and no blank band above the heat map of digit classes.
        var settingRows = doc.Descendants(x + "tr").Select(r => r.Attribute("data-setting")?.Value).ToList();
        foreach (string setting in new[] { "dataset", "optimizer", "epochs", "mini-batch", "seed", "device", "training time" })
            Assert.Contains(setting, settingRows);
        Assert.Contains("Adam lr 0.001 (cosine to 0)", doc.Descendants(x + "td").Select(td => td.Value));
        Assert.True(cells.Min(c => double.Parse(c.Attribute("y")!.Value)) <= 40, "the heat map starts within 40 px of its top");
        var matrix = eval.RootElement.GetProperty("confusion_matrix");
        foreach (var cell in cells)
        {
            int t = int.Parse(cell.Attribute("data-true")!.Value), p = int.Parse(cell.Attribute("data-predicted")!.Value);
            Assert.Equal(matrix[t][p].GetInt32(), int.Parse(cell.Attribute("data-count")!.Value));
        }
        int wrong = 10000 - (int)Math.Round(accuracy * 10000);
        var figures = doc.Descendants(x + "figure").ToList();
        Assert.Equal(Math.Min(60, wrong), figures.Count);
        Assert.All(figures, f => Assert.NotEqual(f.Attribute("data-true")!.Value, f.Attribute("data-predicted")!.Value));
        Assert.Equal(2, doc.Descendants(svg + "polyline").Count(e => e.Attribute("data-series")?.Value == "test"));
        Assert.DoesNotContain("<script", File.ReadAllText(Path.Combine(reportDir, "index.html")));

        var (reportCode, reportOut, reportErr) = Digits("report", "--model", model, "--out", Path.Combine(_dir, "again"), "--device", "cpu");
        Assert.True(reportCode == 0, reportErr);
        Assert.Contains("report written to", reportOut);
    }

    [Fact]
    public void Download_progress_shows_bytes_and_rate_and_a_final_line_per_file()
    {
        var output = new StringWriter();
        var reporter = new Digits.Cli.Commands.DownloadReporter(output);
        reporter.Report(new Digits.Core.Data.DownloadProgress("train-images-idx3-ubyte.gz", 0, 9_912_422, TimeSpan.Zero));
        reporter.Report(new Digits.Core.Data.DownloadProgress("train-images-idx3-ubyte.gz", 1_000_000, 9_912_422, TimeSpan.FromMilliseconds(100)));
        reporter.Report(new Digits.Core.Data.DownloadProgress("train-images-idx3-ubyte.gz", 5_000_000, 9_912_422, TimeSpan.FromSeconds(1)));
        reporter.Report(new Digits.Core.Data.DownloadProgress("train-images-idx3-ubyte.gz", 9_912_422, 9_912_422, TimeSpan.FromSeconds(2)));
        string[] lines = output.ToString().Trim().Split('\n');
        Assert.Equal(3, lines.Length); // the 100 ms update is throttled
        Assert.Contains("5.0 MB of 9.9 MB at 5.0 MB/s", lines[1]);
        Assert.EndsWith("9.9 MB of 9.9 MB at 5.0 MB/s — done", lines[2].TrimEnd());
    }

    [Fact]
    public void Evaluate_refuses_a_corrupt_model_with_one_line_and_exit_2()
    {
        string bad = Path.Combine(_dir, "bad.safetensors");
        File.WriteAllBytes(bad, [1, 2, 3]);
        var (code, _, err) = Digits("evaluate", "--model", bad);
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Contains("bad.safetensors: file is 3 bytes", err);
    }

    [Fact]
    public void Missing_data_without_download_names_where_it_looked_and_how_to_fix_it()
    {
        var (code, _, err) = Digits("train", "--data", _dir, "--no-download", "--device", "cpu");
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Contains(_dir, err);
        Assert.Contains("DIGITS_DATA", err);
    }
}
