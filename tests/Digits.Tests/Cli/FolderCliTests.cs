using System.Security.Cryptography;
using System.Text.Json;
using Digits.Cli.Verbs;
using Digits.Core.Model;
using Digits.Tests.Data;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary><c>--dataset folder:DIR</c> for train, evaluate and report, its one-line errors, <c>--skip-bad</c>, and
/// fine-tuning with <c>train --init</c>: its refusals, its class matching, and what the new model records.</summary>
public sealed class FolderCliTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static (int Code, string Out, string Err) Digits(params string[] args) => DigitsCli.Run(args);

    private string Folder(string name) => Directory.CreateDirectory(_dir.File(name)).FullName;

    /// <summary>A small model trained from scratch on a folder of every digit (in every format).</summary>
    private (string Folder, string Model) Trained()
    {
        string folder = Folder("digits");
        FolderDatasets.Write(folder, Enumerable.Range(0, 10));
        string model = _dir.File("scratch.safetensors");
        var (code, _, err) = Digits("train", "--dataset", $"folder:{folder}", "--device", "cpu", "--layers", "16",
            "--epochs", "2", "--output", model);
        Assert.True(code == ExitCodes.Success, err);
        return (folder, model);
    }

    [Fact]
    public void Train_evaluate_and_report_read_a_folder_of_every_format_predict_reads()
    {
        var (folder, model) = Trained();
        var saved = ModelFile.Load(model);
        Assert.Equal($"folder:{folder}", saved.Metadata["dataset"]);
        Assert.Equal(Enumerable.Range(0, 10).Select(d => $"{d}"), JsonSerializer.Deserialize<string[]>(saved.Metadata["class_names"])!);
        Assert.Equal("784,16,10", saved.Metadata["architecture"]);

        var (code, output, err) = Digits("evaluate", "--model", model, "--device", "cpu");
        Assert.True(code == ExitCodes.Success, err);
        Assert.Contains($"data: all 210 images from the cache (.digits-prepared.safetensors)", output);
        Assert.Contains($"test: folder:{folder} (10 %), 20 images:", output);
        Assert.DoesNotContain("warning", err);

        string report = _dir.File("report");
        (code, output, err) = Digits("report", "--model", model, "--device", "cpu", "--out", report);
        Assert.True(code == ExitCodes.Success, err);
        Assert.True(File.Exists(Path.Combine(report, "index.html")));
    }

    [Fact]
    public void Class_names_come_from_the_class_folders_and_evaluate_shows_them()
    {
        string folder = Folder("named");
        FolderDatasets.Write(Path.Combine(folder, "train"), [1, 7], d => d == 1 ? "one" : "seven");
        FolderDatasets.Write(Path.Combine(folder, "test"), [7], _ => "seven");
        string model = _dir.File("named.safetensors");
        var (code, output, err) = Digits("train", "--dataset", $"folder:{folder}", "--device", "cpu", "--layers", "8",
            "--epochs", "1", "--output", model);
        Assert.True(code == ExitCodes.Success, err);
        Assert.Contains($"data: folder:{folder}/train 42 images for training, folder:{folder}/test 21 for testing", output);
        Assert.Equal(["one", "seven"], JsonSerializer.Deserialize<string[]>(ModelFile.Load(model).Metadata["class_names"])!);
        (code, output, err) = Digits("evaluate", "--model", model, "--device", "cpu");
        Assert.True(code == ExitCodes.Success, err);
        Assert.Contains("│ 1 seven │", output);
        Assert.Contains("│ 0 one   │", output);
    }

    public static TheoryData<string, string> FolderErrors() => new()
    {
        { "empty", ": no class folders: a folder dataset needs one sub-folder per class" },
        { "emptyclass", "/4: class '4' holds no images" },
        { "unreadable", "/3/font0.png: " },
        { "missing", " not found (looked at " },
    };

    [Theory]
    [MemberData(nameof(FolderErrors))]
    public void A_bad_folder_is_one_line_naming_the_file_and_exit_2(string kind, string expected)
    {
        string folder = _dir.File(kind);
        if (kind != "missing") Directory.CreateDirectory(folder);
        if (kind == "emptyclass")
        {
            FolderDatasets.Write(folder, [3]);
            Directory.CreateDirectory(Path.Combine(folder, "4"));
        }
        if (kind == "unreadable")
        {
            FolderDatasets.Write(folder, [3, 5]);
            File.WriteAllBytes(Path.Combine(folder, "3", "font0.png"), File.ReadAllBytes(Path.Combine(folder, "3", "font0.png"))[..50]);
        }
        var (code, output, err) = Digits("train", "--dataset", $"folder:{folder}", "--device", "cpu", "--epochs", "1",
            "--output", _dir.File("m.safetensors"));
        Assert.Equal(ExitCodes.UsageOrInput, code);
        string line = Assert.Single(err.TrimEnd().Split('\n'));
        Assert.StartsWith($"digits: {folder}", line);
        Assert.Contains(expected, line);
        if (kind == "unreadable")
        {
            Assert.EndsWith("(--skip-bad skips unreadable images)", line);
            (code, output, err) = Digits("train", "--dataset", $"folder:{folder}", "--device", "cpu", "--epochs", "1",
                "--skip-bad", "--output", _dir.File("m.safetensors"));
            Assert.True(code == ExitCodes.Success, err);
            Assert.Contains($"data: skipped {folder}/3/font0.png: ", output);
        }
        Assert.False(File.Exists(_dir.File("m.safetensors")) && kind != "unreadable");
    }

    public static TheoryData<string[]> ArchitectureFlags() => new()
    {
        { ["--layers", "32"] }, { ["--activation", "tanh"] }, { ["--loss", "mse"] }, { ["--preset", "quick"] },
    };

    [Theory]
    [MemberData(nameof(ArchitectureFlags))]
    public void Init_refuses_flags_that_would_change_the_architecture(string[] flag)
    {
        var (code, _, err) = Digits(["train", "--init", "whatever.safetensors", .. flag]);
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Equal($"digits: {flag[0]} cannot be used with --init: fine-tuning keeps the architecture of the model it " +
                     "starts from", err.TrimEnd());
        (code, _, err) = Digits("train", "--init", "a.safetensors", "--resume", _dir.Path);
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Equal("digits: --init cannot be used with --resume: a resumed run starts from its checkpoint", err.TrimEnd());
        (code, _, err) = Digits("train", "--init", _dir.File("absent.safetensors"));
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Equal($"digits: --init: {_dir.File("absent.safetensors")} not found", err.TrimEnd());
    }

    [Fact]
    public void Init_starts_from_the_model_keeps_its_classes_and_records_where_it_started()
    {
        var (_, start) = Trained();
        string subset = Folder("only-3-and-7");
        FolderDatasets.Write(subset, [3, 7]);
        string tuned = _dir.File("tuned.safetensors");
        var (code, output, err) = Digits("train", "--init", start, "--dataset", $"folder:{subset}", "--device", "cpu",
            "--epochs", "1", "--output", tuned);
        Assert.True(code == ExitCodes.Success, err);
        Assert.Contains($"fine-tuning {start} (SHA-256 ", output);
        Assert.Contains("training: Adam lr 0.0001 (cosine to 0), 1 epoch, mini-batch 32, seed 1", output);
        var model = ModelFile.Load(tuned);
        var before = ModelFile.Load(start);
        Assert.Equal(before.Spec, model.Spec);
        Assert.Equal(start, model.Metadata["init_from"]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(start))), model.Metadata["init_sha256"]);
        Assert.Equal(before.Metadata["class_names"], model.Metadata["class_names"]);
        Assert.Equal($"folder:{subset}", model.Metadata["dataset"]);
        // started from the weights: one epoch at lr 1e-4 leaves them near, a fresh start (He-normal) would not be
        double moved = before.Parameters.Zip(model.Parameters).Max(p => Math.Abs(p.First - p.Second));
        Assert.InRange(moved, 1e-6, 0.01);

        FolderDatasets.Write(subset, [1], _ => "seven-ish");
        (code, _, err) = Digits("train", "--init", start, "--dataset", $"folder:{subset}", "--device", "cpu",
            "--output", tuned);
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Equal($"digits: {subset}/seven-ish: class 'seven-ish' is not one of the classes of scratch.safetensors " +
                     "(0, 1, 2, 3, 4, 5, 6, 7, 8, 9); class folders are matched to them by name", err.TrimEnd());
    }

    [Fact]
    public void Init_refuses_a_dataset_whose_classes_are_not_the_models()
    {
        Support.RealData.RequireMnist();
        string folder = Folder("two");
        FolderDatasets.Write(folder, [1, 7], d => d == 1 ? "one" : "seven");
        string start = _dir.File("two.safetensors");
        var (code, _, err) = Digits("train", "--dataset", $"folder:{folder}", "--device", "cpu", "--layers", "8",
            "--epochs", "1", "--output", start);
        Assert.True(code == ExitCodes.Success, err);
        (code, _, err) = Digits("train", "--init", start, "--dataset", "mnist", "--device", "cpu", "--output",
            _dir.File("m.safetensors"));
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.EndsWith("digits: --init two.safetensors: the model's 2 classes (one, seven) are not those of mnist " +
                        "(0, 1, 2, 3, 4, 5, 6, 7, 8, 9); fine-tuning keeps the model's classes", err.TrimEnd());
    }
}
