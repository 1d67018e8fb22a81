using Digits.Cli.Verbs;
using Digits.Core.Backends;
using Digits.Core.Model;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary>
/// Issue 24: <c>export</c> and <c>import</c> checked their <c>--output</c> less than <c>train</c> does: a killed run's
/// temporaries (<c>.out.onnx.PID.tmp</c>, 168 MB of them) stayed for ever, <c>--output /proc/x.onnx</c> named the
/// temporary file in its error, and a 300-character name got the raw .NET message and exit 1. They now share train's
/// checks (<c>OutputCheck</c>): refused before any work, one line, exit 2; stale temporaries removed on the way.
/// </summary>
public sealed class ExportImportOutputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("digits-export-output-").FullName;
    private readonly string _model, _torch;

    public ExportImportOutputTests()
    {
        var model = MlpModel.Initialize(new MlpSpec([784, 8, 10], Activation.Relu, LossKind.CrossEntropy), 1);
        _model = Path.Combine(_dir, "m.safetensors");
        ModelFile.Save(_model, model);
        _torch = Path.Combine(_dir, "m.torch.safetensors");
        TorchSequential.Save(_torch, model);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The command writing <paramref name="output"/>: export to ONNX, export to PyTorch's layout, import.</summary>
    private string[] Writing(string verb, string output) => verb switch
    {
        "export onnx" => ["export", "--model", _model, "--format", "onnx", "--output", output],
        "export torch" => ["export", "--model", _model, "--format", "torch-safetensors", "--output", output],
        "import" => ["import", "--input", _torch, "--activation", "relu", "--output", output],
        _ => throw new ArgumentException(verb),
    };

    public static TheoryData<string> Verbs => new() { "export onnx", "export torch", "import" };

    [Theory]
    [MemberData(nameof(Verbs))]
    public void The_temporaries_killed_runs_left_are_removed_and_a_live_runs_kept(string verb)
    {
        string output = Path.Combine(_dir, "out.bin");
        // 4194305 is above Linux's largest process id: a run killed while writing; pid 1 always runs.
        string stale = OutputFile.TemporaryPath(output, 4194305), live = OutputFile.TemporaryPath(output, 1);
        string other = OutputFile.TemporaryPath(Path.Combine(_dir, "other.bin"), 4194305);
        foreach (string f in new[] { stale, live, other }) File.WriteAllBytes(f, [1, 2, 3]);
        var (code, _, err) = DigitsCli.Run(Writing(verb, output));
        Assert.True(code == ExitCodes.Success, err);
        Assert.True(File.Exists(output));
        Assert.False(File.Exists(stale), $"{verb} left {stale}");
        Assert.True(File.Exists(live), "a running process's temporary was removed");
        Assert.True(File.Exists(other), "another output's temporary was removed");
    }

    [Theory]
    [MemberData(nameof(Verbs))]
    public void An_output_that_cannot_be_written_is_refused_before_any_work_in_one_line(string verb)
    {
        string name = verb.Split(' ')[0];
        void Refused(string output, string expected)
        {
            var (code, stdout, err) = DigitsCli.Run(Writing(verb, output));
            Assert.True(code == ExitCodes.UsageOrInput, $"{verb} --output {output} → {code}: {err}");
            Assert.Equal($"digits: {expected}", err.TrimEnd());
            Assert.Equal("", stdout);
            Assert.DoesNotContain(".tmp", err);
        }
        string longName = Path.Combine(_dir, new string('n', 300) + ".onnx");
        Refused(longName, "--output: the file name is 305 bytes long; file systems take at most 255");
        Refused(_dir, $"--output: {_dir} is a folder; give a file name");
        Refused(Path.Combine(_dir, "no", "x.onnx"), $"--output: folder {Path.Combine(_dir, "no")} does not exist");
        if (!OperatingSystem.IsLinux()) return;
        string fifo = Fifo.Make(Path.Combine(_dir, "pipe"));
        Refused(fifo, $"--output: {fifo} is a named pipe, not a regular file; digits {name} writes only regular files " +
                      "and never replaces anything else");
        // /proc takes no new files (ENOENT, even for root): said without the temporary's name.
        Refused("/proc/x.onnx", "--output: cannot write in /proc (no such file or directory: the folder is gone or takes no new files)");
        Assert.Equal(new[] { _model, _torch, fifo }.Order(), Directory.GetFileSystemEntries(_dir).Order());
    }
}
