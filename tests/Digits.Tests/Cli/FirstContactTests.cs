using Digits.Cli;
using Digits.Cli.Commands;
using Digits.Cli.Verbs;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary>What a first-time user meets in the first ten minutes (issue 11): flags without values, stray words,
/// decimal commas, -h and --version, and the outputs of train, predict and evaluate.</summary>
public sealed class FirstContactTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("digits-first-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Splits on spaces; <c>''</c> stands for an empty argument.</summary>
    private static string[] Args(string commandLine) =>
        commandLine.Split(' ').Select(a => a == "''" ? "" : a).ToArray();

    [Theory]
    [InlineData("train --epochs", "--epochs needs a value: a whole number ≥ 1")]
    [InlineData("train --preset quick --epochs 1 --output", "--output needs a value: a file path")]
    [InlineData("predict --model m.safetensors seven.png --index", "--index needs a value: a whole number ≥ 0")]
    [InlineData("evaluate --model --device ''", "--model needs a value")]
    [InlineData("train --threads= 5", "--threads= needs a value right after the '='")]
    [InlineData("train stray_arg", "unexpected argument 'stray_arg' for train")]
    [InlineData("evaluate --model m.safetensors extra", "unexpected argument 'extra' for evaluate")]
    [InlineData("download emnist", "'emnist' cannot be downloaded")]
    [InlineData("train --lr 0,001", "--lr: '0,001' has a comma; numbers take a decimal point (write 0.001)")]
    [InlineData("train --weight-decay 0,1", "--weight-decay: '0,1' has a comma")]
    [InlineData("bench --target-accuracy 97,5", "--target-accuracy: '97,5' has a comma")]
    [InlineData("train --lr abc", "--lr: 'abc' is not a valid value; expected a number > 0")]
    [InlineData("report --model m.safetensors --out ''", "--out: the value is empty; expected a folder path")]
    [InlineData("train --output ''", "--output: the value is empty")]
    [InlineData("train -x", "unknown option '-x' for train")]
    [InlineData("devices --json=yes", "--json is a switch and takes no value")]
    public void Flags_without_values_stray_words_and_decimal_commas_are_usage_errors(string commandLine, string expected)
    {
        var (code, _, err) = DigitsCli.Run(Args(commandLine));
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Contains(expected, err);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    [Theory]
    [InlineData("train -h")]
    [InlineData("train --epochs 3 --help")]
    [InlineData("evaluate --model m.safetensors -h")]
    [InlineData("predict seven.png -h")]
    [InlineData("bench --devices cpu --help")]
    public void Help_works_as_h_and_after_other_flags(string commandLine)
    {
        var (code, output, err) = DigitsCli.Run(Args(commandLine));
        Assert.Equal(0, code);
        Assert.Equal("", err);
        Assert.Contains($"Usage: digits {commandLine.Split(' ')[0]}", output);
    }

    [Theory]
    [InlineData("--version")]
    [InlineData("train --version")]
    public void Version_prints_the_package_version(string commandLine)
    {
        var (code, output, _) = DigitsCli.Run(Args(commandLine));
        Assert.Equal(0, code);
        Assert.Matches(@"^digits \d+\.\d+\.\d+\s*$", output);
    }

    [Fact]
    public void Negative_numbers_still_reach_the_range_checks()
    {
        var (code, _, err) = DigitsCli.Run("train", "--threads", "-1");
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Contains("--threads must be ≥ 0, got -1", err);
    }

    [Fact]
    public void Download_takes_dataset_names_as_its_missing_data_message_promises()
    {
        string root = global::Digits.Tests.Data.RealData.Root("fashion-mnist");
        var (code, output, err) = DigitsCli.Run("download", "fashion-mnist", "--data", root);
        Assert.True(code == 0, err);
        Assert.Contains("fashion-mnist: all four files present", output);
        Assert.DoesNotContain("mnist: all four files present in " + Path.Combine(root, "mnist"), output);
    }

    [Fact]
    public void A_folder_as_model_says_so()
    {
        var (code, _, err) = DigitsCli.Run("evaluate", "--model", _dir);
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Contains($"--model: {_dir} is a folder; give the model file", err);
    }

    [Fact]
    public void A_text_file_as_model_is_not_a_safetensors_file()
    {
        string text = Path.Combine(_dir, "notes.txt");
        File.WriteAllText(text, "hello world, these are my notes about digits\n");
        var (code, _, err) = DigitsCli.Run("predict", "--model", text, "--index", "0");
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Contains("notes.txt: not a safetensors file", err);
        Assert.Contains("\"hello wo\"", err);
        Assert.DoesNotContain("header length", err);
    }

    [Fact]
    public void Predict_prints_a_digit_class_once_and_a_named_class_with_its_index()
    {
        Assert.Equal("  1. 7                   99.98%", PredictCommand.TopLine(1, 7, "7", 0.99981f));
        Assert.Equal("  2. 9 Ankle boot         1.50%", PredictCommand.TopLine(2, 9, "Ankle boot", 0.015f));
    }

    [Fact]
    public void The_confusion_matrix_of_named_classes_fits_80_columns_with_a_legend()
    {
        string[] names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
        var confusion = new int[10, 10];
        for (int t = 0; t < 10; t++)
            for (int p = 0; p < 10; p++) confusion[t, p] = t == p ? 1000 : 100 + t;
        var metrics = Enumerable.Repeat((0.9, 0.9, 0.9, 1000), 10).ToArray();
        var output = new StringWriter();
        Tables.WriteEvaluation(output, names, metrics, confusion);
        var lines = output.ToString().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.All(lines, l => Assert.True(l.Length <= 80, $"{l.Length} columns: {l}"));
        int matrix = lines.FindIndex(l => l.Contains("confusion matrix"));
        string? header = lines.Skip(matrix + 1).FirstOrDefault(l => l.TrimStart().StartsWith("true"));
        Assert.True(header is not null, output.ToString());
        Assert.Matches(@"true\s+0\s+1\s+2\s+3\s+4\s+5\s+6\s+7\s+8\s+9\s*$", header);
        Assert.DoesNotContain("Dress", string.Join('\n', lines.Skip(matrix).TakeWhile(l => !l.StartsWith("classes:"))));
        string legend = string.Join(' ', lines.SkipWhile(l => !l.StartsWith("classes:")));
        Assert.Contains("0 T-shirt/top,", legend);
        Assert.Contains("9 Ankle boot", legend);
    }

    [Fact]
    public void Skips_are_summarized_one_line_per_reason_most_frequent_first()
    {
        var summary = new global::Digits.TestLogger.SkipSummary();
        for (int k = 0; k < 300; k++) summary.Add($"Cuda{k}", "cuda backend unavailable: libcuda.so.1 not found");
        summary.Add("Idx1", DataRoot.NotSetReason);
        summary.Add("Idx2", DataRoot.NotSetReason + "\n");
        summary.Add("Odd", null);
        Assert.Equal([
            "skipped 300 tests: cuda backend unavailable: libcuda.so.1 not found",
            $"skipped 2 tests: {DataRoot.NotSetReason}",
            "skipped 1 test: no reason given",
        ], summary.Lines());
        Assert.Contains("  Idx2", summary.Details());
    }

    [Fact]
    public void The_README_documents_the_tool_install_that_CI_tests()
    {
        string readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        string ci = File.ReadAllText(Path.Combine(Repository.Root, ".ci", "run"));
        Assert.Contains("dotnet tool install --global --add-source artifacts/nupkg Digits.Cli", readme);
        Assert.Contains("dotnet tool install --tool-path", ci);
        Assert.Contains("\"$tool_dir/bin/digits\" --version", ci);
        // CI runs the README's test command and its train command as written.
        Assert.Contains("DIGITS_DATA=../shared/data dotnet test tests/Digits.Tests -c Release\n", readme.ReplaceLineEndings("\n"));
        Assert.Contains("dotnet test tests/Digits.Tests -c Release", ci);
        Assert.Matches(@"(?m)^DIGITS_DATA=\.\./shared/data dotnet run --project src/Digits.Cli -c Release -- train", readme);
    }

    [Fact]
    public void The_repository_ignores_what_a_default_run_and_the_tests_write()
    {
        var ignored = File.ReadAllLines(Path.Combine(Repository.Root, ".gitignore"));
        Assert.Contains("model.safetensors", ignored);
        Assert.Contains("TestResults/", ignored);
    }

    [Fact]
    public void A_relative_DIGITS_DATA_means_the_folder_the_command_was_typed_in()
    {
        // The typed-in folder must exist (a stale $PWD is ignored), so use one that does, whatever the machine.
        string typed = Directory.CreateTempSubdirectory("digits-typed-in-").FullName;
        try
        {
            string parent = Path.GetDirectoryName(typed)!;
            Assert.Equal(Path.Combine(parent, "shared", "data"), DataRoot.Resolve("../shared/data", typed, "/work/repo/tests/bin"));
            Assert.Equal("/work/repo/tests/shared/data", DataRoot.Resolve("../shared/data", null, "/work/repo/tests/bin"));
            Assert.Equal("/work/repo/tests/shared/data",
                DataRoot.Resolve("../shared/data", "/no/such/folder/anywhere", "/work/repo/tests/bin"));
            Assert.Equal("/abs/data", DataRoot.Resolve("/abs/data", typed, "/elsewhere"));
            Assert.Null(DataRoot.Resolve("", typed, "/elsewhere"));
        }
        finally
        {
            Directory.Delete(typed);
        }
        // And the process's own DIGITS_DATA has been made absolute before any test ran.
        if (Environment.GetEnvironmentVariable("DIGITS_DATA") is { Length: > 0 } value)
            Assert.True(Path.IsPathRooted(value), value);
    }

    [Fact]
    public void Train_says_1_epoch_and_where_the_model_went_then_evaluate_warns_about_another_dataset()
    {
        RealData.RequireMnist();
        global::Digits.Tests.Data.RealData.Folder("fashion-mnist");
        string model = Path.Combine(_dir, "tiny.safetensors");
        var (code, output, err) = DigitsCli.Run("train", "--device", "cpu", "--layers", "16", "--epochs", "1",
            "--output", model);
        Assert.True(code == 0, err);
        Assert.Contains(", 1 epoch, mini-batch", output);
        Assert.Contains($"model saved to {model}", output);

        var (predictCode, predicted, predictErr) = DigitsCli.Run("predict", "--model", model, "--index", "0");
        Assert.True(predictCode == 0, predictErr);
        Assert.Matches(@"(?m)^  1\. \d {16,}\s*\d+\.\d\d%$", predicted.Replace("\r", ""));

        var (evalCode, _, evalErr) = DigitsCli.Run("evaluate", "--model", model, "--dataset", "fashion-mnist",
            "--device", "cpu", "--quiet");
        Assert.Equal(0, evalCode);
        Assert.Contains("warning: tiny.safetensors was trained on mnist, not fashion-mnist", evalErr);
        var (sameCode, _, sameErr) = DigitsCli.Run("evaluate", "--model", model, "--device", "cpu", "--quiet");
        Assert.Equal(0, sameCode);
        Assert.DoesNotContain("warning", sameErr);
    }
}
