using System.Diagnostics;
using Digits.Api;
using Digits.Api.Onnx;
using Digits.Core.Backends;
using Digits.Core.Model;
using Digits.Tests.Cli;
using Digits.Tests.Support;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace Digits.Tests.Export;

/// <summary>
/// The ONNX export checked by ONNX Runtime (Microsoft.ML.OnnxRuntime, which runs ONNX's checker and shape inference
/// when it loads a model, and refuses one they reject): its predictions against Digits' own on the whole MNIST test
/// set, its inputs, outputs and metadata, refusals, the atomic write; and by onnx.checker where python3-onnx exists.
/// </summary>
public sealed class OnnxExportTests(QuickModel quick) : IClassFixture<QuickModel>, IDisposable
{
    /// <summary>Probabilities from ONNX Runtime against Digits' cpu backend: both compute each logit as a float32 sum
    /// of 784 (or 128) products in different orders (ORT's MLAS GEMM against Digits' packed GEMM), then a softmax;
    /// the sums differ by a few ulps of their magnitude (≲ 1e-5 for logits ≲ 20), which the softmax carries into
    /// the probabilities as a relative change of about that size. Measured max difference: see the test output.</summary>
    private static readonly Tolerance OrtVsDigits = new(2e-6, 1e-4);

    private readonly string _dir = Directory.CreateTempSubdirectory("digits-onnx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Onnx_Runtime_gives_Digits_predictions_on_all_10000_MNIST_test_images()
    {
        var test = RealData.RequireMnist().Test;
        string onnx = Path.Combine(_dir, "quick.onnx");
        var (code, @out, err) = DigitsCli.Run("export", "--model", quick.Path, "--format", "onnx", "--output", onnx);
        Assert.True(code == 0, err);
        Assert.Contains("opset 17", @out);

        var clock = Stopwatch.StartNew();
        using var session = new InferenceSession(onnx);
        int n = test.Count, classes = 10;
        using var input = OrtValue.CreateTensorValueFromMemory(test.Images, [n, 784]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["image"], [input], ["logits", "probabilities"]);
        float[] ortLogits = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        float[] ortProbabilities = outputs[1].GetTensorDataAsSpan<float>().ToArray();
        Assert.Equal([n, classes], outputs[1].GetTensorTypeAndShape().Shape);
        double ortSeconds = clock.Elapsed.TotalSeconds;

        using var digits = DigitClassifier.Create(quick.Model);
        var predictions = digits.ClassifyBatch(test.Images);
        float[] digitsProbabilities = predictions.SelectMany(p => p.Probabilities).ToArray();
        int[] expected = predictions.Select(p => p.Class).ToArray();
        int[] actual = Enumerable.Range(0, n).Select(k => ArgMax(ortProbabilities.AsSpan(k * classes, classes))).ToArray();
        int[] fromLogits = Enumerable.Range(0, n).Select(k => ArgMax(ortLogits.AsSpan(k * classes, classes))).ToArray();

        double maxDiff = 0;
        for (int k = 0; k < digitsProbabilities.Length; k++)
            maxDiff = Math.Max(maxDiff, Math.Abs(digitsProbabilities[k] - ortProbabilities[k]));
        TestContext.Current.SendDiagnosticMessage(
            $"ONNX Runtime on {n} images: {ortSeconds:0.000} s including the session; max |p_ort − p_digits| = {maxDiff:0.###e+0}; " +
            $"accuracy {expected.Zip(test.Labels).Count(x => x.First == x.Second) / (double)n:P2}");
        Close.AssertEqual(expected, actual, "argmax of probabilities (Digits vs ONNX Runtime)");
        Close.AssertEqual(expected, fromLogits, "argmax of logits (Digits vs ONNX Runtime)");
        Close.AssertClose(digitsProbabilities, ortProbabilities, OrtVsDigits, "probabilities");
    }

    [Fact]
    public void The_graph_has_a_dynamic_batch_input_two_outputs_and_the_model_metadata()
    {
        string onnx = Path.Combine(_dir, "meta.onnx");
        OnnxExport.Write(quick.Model, onnx);
        using var session = new InferenceSession(onnx);
        var image = session.InputMetadata["image"];
        Assert.Equal([-1, 784], image.Dimensions);
        Assert.Equal("batch", image.SymbolicDimensions[0]);
        Assert.Equal(typeof(float), image.ElementType);
        Assert.Equal(["logits", "probabilities"], session.OutputNames);
        Assert.Equal([-1, 10], session.OutputMetadata["probabilities"].Dimensions);
        var meta = session.ModelMetadata;
        Assert.Equal("digits", meta.ProducerName);
        Assert.Equal("[\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]", meta.CustomMetadataMap["class_names"]);
        Assert.Equal(OnnxExport.Normalization, meta.CustomMetadataMap["normalization"]);
        Assert.Equal("784,128,10", meta.CustomMetadataMap["architecture"]);
        Assert.Equal("mnist", meta.CustomMetadataMap["dataset"]);

        // Batch 1 and batch 3 run through the same graph.
        foreach (int batch in new[] { 1, 3 })
        {
            var x = new float[batch * 784];
            using var input = OrtValue.CreateTensorValueFromMemory(x, [batch, 784]);
            using var outputs = session.Run(new RunOptions(), ["image"], [input], ["probabilities"]);
            Assert.Equal([batch, 10], outputs[0].GetTensorTypeAndShape().Shape);
        }
    }

    public static TheoryData<string, string> OtherModels => new()
    {
        { "784,64,32,10", "tanh/cross-entropy" },
        { "784,30,10", "sigmoid/mse" },
        { "20,7,3", "relu/cross-entropy" },
    };

    /// <summary>Other activations, the mse output (sigmoid, normalized by the sum) and odd sizes, on random weights.</summary>
    [Theory]
    [MemberData(nameof(OtherModels))]
    public void Other_activations_and_the_mse_output_agree_with_Digits(string widths, string kind)
    {
        var (activationName, lossName) = (kind.Split('/')[0], kind.Split('/')[1]);
        Assert.True(ActivationNames.TryParseActivation(activationName, out var activation));
        Assert.True(ActivationNames.TryParseLoss(lossName, out var loss));
        var spec = new MlpSpec(widths.Split(',').Select(int.Parse).ToArray(), activation, loss);
        var model = MlpModel.Initialize(spec, seed: 3);
        var random = new Random(5);
        for (int k = 0; k < model.Parameters.Length; k++) model.Parameters[k] += (float)(random.NextDouble() - 0.5) * 0.1f;
        int n = 257;
        var x = TestData.Uniform(random, n * spec.Inputs, 0f, 1f);
        string onnx = Path.Combine(_dir, "other.onnx");
        OnnxExport.Write(model, onnx);
        using var session = new InferenceSession(onnx);
        using var input = OrtValue.CreateTensorValueFromMemory(x, [n, spec.Inputs]);
        string scores = OnnxExport.ScoresName(spec);
        Assert.Equal([scores, "probabilities"], session.OutputNames);
        using var outputs = session.Run(new RunOptions(), ["image"], [input], ["probabilities"]);
        using var digits = DigitClassifier.Create(model, "reference");
        var predictions = digits.ClassifyBatch(x);
        Close.AssertClose(predictions.SelectMany(p => p.Probabilities).ToArray(), outputs[0].GetTensorDataAsSpan<float>(),
            OrtVsDigits, $"probabilities of {spec}");
    }

    [Fact]
    public void A_model_with_a_NaN_is_refused_saying_so_and_nothing_is_written()
    {
        var model = MlpModel.Initialize(new MlpSpec([4, 3, 2], Activation.Relu, LossKind.CrossEntropy), 1);
        model.Parameters[2] = float.NaN;
        string onnx = Path.Combine(_dir, "nan.onnx");
        var e = Assert.Throws<NotSupportedException>(() => OnnxExport.Write(model, onnx));
        Assert.Contains("NaN or infinite", e.Message);
        Assert.False(File.Exists(onnx));
    }

    [Fact]
    public void The_export_is_atomic_a_failed_write_leaves_the_old_file_and_no_temporary()
    {
        string model = quick.Path; // trained and saved (once, lazily) before the disk fills
        // Only this test's folder is full: a one-page file system, which "old" fills.
        using (var disk = FullDisk.Mount(_dir))
        {
            string onnx = Path.Combine(_dir, "atomic.onnx");
            File.WriteAllText(onnx, "old");
            disk.Fill();
            var (code, _, err) = DigitsCli.Run("export", "--model", model, "--format", "onnx", "--output", onnx);
            Assert.Equal(1, code);
            Assert.Contains("the disk is full", err);
            Assert.Equal("old", File.ReadAllText(onnx));
            Assert.Equal(["atomic.onnx"], Directory.GetFiles(_dir).Select(Path.GetFileName));
        }
    }

    [Fact]
    public void Unknown_formats_and_missing_models_are_usage_errors()
    {
        var (code, _, err) = DigitsCli.Run("export", "--model", quick.Path, "--format", "tflite", "--output", Path.Combine(_dir, "x"));
        Assert.Equal(2, code);
        Assert.Contains("'tflite' is not a format; use onnx or torch-safetensors", err);
        (code, _, err) = DigitsCli.Run("export", "--model", Path.Combine(_dir, "none.safetensors"), "--format", "onnx",
            "--output", Path.Combine(_dir, "x.onnx"));
        Assert.Equal(2, code);
        Assert.Contains("not found", err);
        (code, _, err) = DigitsCli.Run("export", "--model", quick.Path, "--format", "onnx",
            "--output", Path.Combine(_dir, "no-such-folder", "x.onnx"));
        Assert.Equal(2, code);
        Assert.Contains("does not exist", err);
    }

    /// <summary>ONNX's own checker (full check: types and shapes inferred) where python3 with onnx is installed
    /// (Debian's python3-onnx, which .ci/run installs); skipped with the reason elsewhere.</summary>
    [Fact]
    public void The_onnx_checker_accepts_the_export()
    {
        string onnx = Path.Combine(_dir, "checked.onnx");
        OnnxExport.Write(quick.Model, onnx);
        var mse = MlpModel.Initialize(new MlpSpec([784, 30, 10], Activation.Sigmoid, LossKind.Quadratic), 1);
        string onnxMse = Path.Combine(_dir, "checked-mse.onnx");
        OnnxExport.Write(mse, onnxMse);
        const string script = "import onnx, sys\n" +
                              "for p in sys.argv[1:]:\n" +
                              "    onnx.checker.check_model(onnx.load(p), full_check=True)\n" +
                              "print('onnx', onnx.__version__, 'checker: ok')";
        // Debian's python3-onnx lives under /usr/bin/python3, which a python3 earlier on PATH (pyenv) does not see.
        var (code, output) = Python("python3", script, onnx, onnxMse);
        if ((code is null || output.Contains("No module named 'onnx'")) && File.Exists("/usr/bin/python3"))
            (code, output) = Python("/usr/bin/python3", script, onnx, onnxMse);
        if (code is null || output.Contains("No module named 'onnx'"))
        {
            if (TestBackends.IsCi) Assert.Fail($"python3 with onnx is required when CI=true: {output}");
            Assert.Skip($"python3 with the onnx package is not installed (apt-get install python3-onnx): {output.Trim()}");
        }
        Assert.True(code == 0, output);
        TestContext.Current.SendDiagnosticMessage(output.Trim());
    }

    private static (int? Code, string Output) Python(string python, string script, params string[] args)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (var a in args) start.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout + stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (null, $"python3 not found ({e.Message})");
        }
    }

    private static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int c = 1; c < v.Length; c++)
            if (v[c] > v[best]) best = c;
        return best;
    }
}
