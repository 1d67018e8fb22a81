using Digits.Cli.Verbs;
using Digits.Core.Backends;
using Digits.Core.Data;
using Digits.Core.Model;
using Digits.Core.Training;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary>
/// Issue 24, as users met it: <c>predict /dev/zero</c> and <c>evaluate --dataset csv:/dev/zero</c> grew to 4.1 GB and
/// aborted; a named pipe as <c>import --input</c>, <c>export --model</c>, <c>serve --model</c>, <c>predict --model</c>,
/// <c>predict IMAGE</c> or <c>evaluate --dataset csv:FIFO</c> hung for ever. Every way a file comes in is tried with
/// both, in a child process with a time limit and a 512 MiB heap (<see cref="DigitsProcess"/>): each must be one
/// line, exit 2, naming the file and what it is — at once. And the messages for a folder where a file belongs.
/// </summary>
public sealed class InputPathTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("digits-inputs-").FullName;
    private readonly string _model;

    public InputPathTests()
    {
        var model = MlpModel.Initialize(new MlpSpec([784, 8, 10], Activation.Relu, LossKind.CrossEntropy), 1);
        model.Metadata["dataset"] = "mnist";
        _model = Path.Combine(_dir, "m.safetensors");
        ModelFile.Save(_model, model);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Every command-line place a file is read from, with the role its message gives the file.</summary>
    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        foreach (string input in new[]
                 {
                     "predict IMAGE", "predict --model", "evaluate --dataset csv:", "evaluate --data (IDX)", "import --input",
                     "export --model", "serve --model", "report --model", "train --resume",
                 })
            foreach (string kind in new[] { "device", "pipe" })
                data.Add(input, kind);
        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void A_device_or_a_named_pipe_is_refused_at_once_naming_it(string input, string kind)
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("needs /dev/zero and mkfifo (Linux)");
        // /dev/zero never ends; a pipe blocks its reader until a writer comes. Where the command takes a path, it is
        // given as such; a data folder and a checkpoint folder hold it under the name they look for (a link to
        // /dev/zero, or the pipe itself).
        string Bad(string path) => kind == "pipe" ? Fifo.Make(path) : Link(path, "/dev/zero");
        string given = kind == "pipe" ? Fifo.Make(Path.Combine(_dir, "input")) : "/dev/zero";
        string output = Path.Combine(_dir, "out.safetensors");
        string what = kind == "pipe" ? "a named pipe" : "a character device";
        (string[] Args, string Expected) = input switch
        {
            "predict IMAGE" => ((string[])["predict", "--model", _model, given], $"{given} is {what}; an image must be a regular file"),
            "predict --model" => (["predict", "--model", given, "digit.png"], $"--model: {given} is {what}; a model must be a regular file"),
            "evaluate --dataset csv:" => (["evaluate", "--model", _model, "--dataset", $"csv:{given}", "--device", "cpu"],
                $"{given} is {what}; a CSV dataset must be a regular file"),
            "evaluate --data (IDX)" => (["evaluate", "--model", _model, "--data", IdxFolder(Bad), "--no-download", "--device", "cpu"],
                $"{Path.Combine(_dir, "data", "mnist", DatasetCatalog.TrainImages)} is {what}; an IDX file must be a regular file"),
            "import --input" => (["import", "--input", given, "--output", output], $"--input: {given} is {what}; a model must be a regular file"),
            "export --model" => (["export", "--model", given, "--format", "onnx", "--output", Path.Combine(_dir, "m.onnx")],
                $"--model: {given} is {what}; a model must be a regular file"),
            "serve --model" => (["serve", "--model", given, "--port", "0"], $"--model: {given} is {what}; a model must be a regular file"),
            "report --model" => (["report", "--model", given, "--out", Path.Combine(_dir, "report")],
                $"--model: {given} is {what}; a model must be a regular file"),
            "train --resume" => (["train", "--resume", CheckpointFolder(Bad)],
                $"--resume: {Path.Combine(_dir, "ck", Checkpoint.FileName(1))} is {what}; a checkpoint must be a regular file"),
            _ => throw new ArgumentException(input),
        };
        var started = DateTime.UtcNow;
        var (code, stdout, stderr) = DigitsProcess.Run(Args, TimeSpan.FromSeconds(60));
        string line = $"{input} given {kind}: exit {code?.ToString() ?? "none (killed after 60 s)"} after " +
                      $"{(DateTime.UtcNow - started).TotalSeconds:0.0} s: {stderr}{stdout}";
        Assert.True(code == ExitCodes.UsageOrInput, line);
        Assert.Equal($"digits: {Expected}", stderr.TrimEnd());
    }

    private static string Link(string path, string target)
    {
        File.CreateSymbolicLink(path, target);
        return path;
    }

    /// <summary>A data folder whose MNIST files are all <paramref name="bad"/> ones.</summary>
    private string IdxFolder(Func<string, string> bad)
    {
        string folder = Directory.CreateDirectory(Path.Combine(_dir, "data", "mnist")).FullName;
        foreach (string name in DatasetCatalog.FileNames) bad(Path.Combine(folder, name));
        return Path.Combine(_dir, "data");
    }

    /// <summary>A checkpoint folder whose one checkpoint is a <paramref name="bad"/> file.</summary>
    private string CheckpointFolder(Func<string, string> bad)
    {
        string folder = Directory.CreateDirectory(Path.Combine(_dir, "ck")).FullName;
        bad(Path.Combine(folder, Checkpoint.FileName(1)));
        return folder;
    }

    /// <summary>Issue 24: a folder as <c>import --input</c> said "Access to the path … is denied", a folder as an image
    /// "no such file", a folder as <c>csv:</c> "not found".</summary>
    [Fact]
    public void A_folder_where_a_file_belongs_is_called_a_folder()
    {
        string folder = Directory.CreateDirectory(Path.Combine(_dir, "a-folder")).FullName;
        void Says(string expected, params string[] args)
        {
            var (code, _, err) = DigitsCli.Run(args);
            Assert.True(code == ExitCodes.UsageOrInput, $"{string.Join(' ', args)} → {code}: {err}");
            Assert.Equal($"digits: {expected}", err.TrimEnd());
        }
        Says($"--input: {folder} is a folder; a model must be a regular file",
            "import", "--input", folder, "--output", Path.Combine(_dir, "x.safetensors"));
        Says($"{folder} is a folder; an image must be a regular file", "predict", "--model", _model, folder);
        Says($"{folder} is a folder; a CSV dataset must be a regular file",
            "evaluate", "--model", _model, "--dataset", $"csv:{folder}", "--device", "cpu");
    }
}
