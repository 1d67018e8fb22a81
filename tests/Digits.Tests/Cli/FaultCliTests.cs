using System.Diagnostics;
using System.Text;
using Digits.Cli;
using Digits.Cli.Verbs;
using Digits.Core.Model;
using Digits.Core.Training;
using Digits.Tests.Model;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary>
/// The gaps issue 12's stress campaign found, each reproduced: <c>--threads</c> far beyond the machine, output
/// paths that fail only at the final save (a long name, a device, a pipe), temporaries that killed runs leave, and a
/// full disk for a model, a report and checkpoints. A full disk is a real one (<see cref="FullDisk"/>: a one-page
/// tmpfs), so the writer meets the <see cref="IOException"/> .NET throws for ENOSPC (HResult 28, "No space left on
/// device") wherever the kernel runs out of room.
/// </summary>
public sealed class FaultCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("digits-fault-").FullName;
    private readonly string _dataset;

    public FaultCliTests()
    {
        // 1000 MNIST images to train on and 200 to test: two epochs of a small network take well under a second.
        var mnist = RealData.RequireMnist();
        string train = Path.Combine(_dir, "train.csv"), test = Path.Combine(_dir, "test.csv");
        KaggleCsv.Write(train, mnist.Train, 1000);
        KaggleCsv.Write(test, mnist.Test, 200);
        _dataset = $"csv:{train},{test}";
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] Train(string output, params string[] more) =>
        ["train", "--dataset", _dataset, "--layers", "16", "--epochs", "2", "--device", "cpu", "--output", output, .. more];

    private static (int Code, string Out, string Err) Digits(params string[] args) => DigitsCli.Run(args);

    private string SavedModel()
    {
        string model = Path.Combine(_dir, "saved.safetensors");
        var (code, _, err) = Digits(Train(model));
        Assert.True(code == ExitCodes.Success, err);
        return model;
    }

    // ── --threads ────────────────────────────────────────────────────────────────────────────────────────────────

    /// <summary>Issue 12: <c>--threads 59999</c> aborted the runtime (exit 134) after 14–40 s, and
    /// <c>--threads 2147483647</c> ran out of memory. Each verb that takes --threads refuses it at once.</summary>
    [Theory]
    [InlineData("evaluate", "59999")]
    [InlineData("report", "60000")]
    [InlineData("bench", "60001")]
    [InlineData("train", "2147483647")]
    [InlineData("predict", "59999")]
    public void Threads_far_beyond_the_processors_are_refused_before_any_work_with_exit_2(string verb, string threads)
    {
        string model = Path.Combine(_dir, "absent.safetensors"); // never read: the refusal comes first
        string[] args = verb switch
        {
            "evaluate" => ["evaluate", "--model", model, "--dataset", _dataset, "--threads", threads],
            "report" => ["report", "--model", model, "--out", Path.Combine(_dir, "r"), "--threads", threads],
            "bench" => ["bench", "--devices", "cpu", "--threads", threads],
            "predict" => ["predict", "--model", model, "--threads", threads, Path.Combine(_dir, "absent.png")],
            _ => Train(Path.Combine(_dir, "m.safetensors"), "--threads", threads),
        };
        var clock = Stopwatch.StartNew();
        var (code, output, err) = Digits(args);
        Assert.True(code == ExitCodes.UsageOrInput, $"exit {code}: {err}");
        Assert.Equal($"digits: --threads {threads} is more than {ThreadsOption.Max} (4 per logical processor, " +
                     $"{Environment.ProcessorCount} here); use 0 for one per processor", err.TrimEnd());
        Assert.Equal("", output);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed.TotalSeconds:0.0} s to refuse");
        Assert.False(File.Exists(Path.Combine(_dir, "m.safetensors")));
    }

    [Fact]
    public void Threads_up_to_the_bound_are_accepted()
    {
        ThreadsOption.Check(0);
        ThreadsOption.Check(ThreadsOption.Max);
        Assert.Throws<UsageException>(() => ThreadsOption.Check(ThreadsOption.Max + 1));
    }

    // ── --output ─────────────────────────────────────────────────────────────────────────────────────────────────

    /// <summary>Issue 12: a legal 250-character name trained to the end, then lost the model to a
    /// PathTooLongException (the temporary name was over 255 bytes). A name that is not legal is refused first.</summary>
    [Fact]
    public void A_250_character_output_name_is_saved_and_a_256_byte_one_is_refused_before_training()
    {
        string output = Path.Combine(_dir, new string('m', 238) + ".safetensors");
        var (code, @out, err) = Digits(Train(output));
        Assert.True(code == ExitCodes.Success, err);
        Assert.Contains($"model saved to {output}", @out);
        Assert.Equal("2", ModelFile.Load(output).Metadata["epochs"]);
        Assert.Empty(Directory.EnumerateFiles(_dir, ".*"));

        string tooLong = Path.Combine(_dir, new string('n', 244) + ".safetensors");
        (code, @out, err) = Digits(Train(tooLong));
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Equal("digits: --output: the file name is 256 bytes long; file systems take at most 255", err.TrimEnd());
        Assert.DoesNotContain("1/2", @out);
    }

    /// <summary>Issue 12: <c>--output</c> naming a character device replaced the node with a regular file (as root,
    /// <c>--output /dev/null</c> would replace /dev/null). Anything but a regular file is refused before training; a
    /// FIFO stands in for the device (making one needs no privileges, and nothing of the system's is at risk).</summary>
    [Fact]
    public void An_output_that_is_a_device_or_pipe_is_refused_before_training_and_left_alone()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("needs mkfifo (Linux)");
        string fifo = Path.Combine(_dir, "pipe");
        Assert.Equal(0, ModelFileTests.MakeFifo(fifo, 0x180));
        var (code, output, err) = Digits(Train(fifo));
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Equal($"digits: --output: {fifo} is a named pipe, not a regular file; digits train writes only regular " +
                     "files and never replaces anything else", err.TrimEnd());
        Assert.DoesNotContain("1/2", output);
        Assert.Equal("a named pipe", OutputFile.NotARegularFile(fifo));
        Assert.Equal("a character device", OutputFile.NotARegularFile("/dev/null"));
    }

    /// <summary>Issue 12: a SIGKILL during the final save left <c>.model.safetensors.{pid}.tmp</c>, and one in the
    /// first 0.3 s an empty <c>.digits-write-test-{pid}</c>. The next run into the folder removes those of processes
    /// no longer running (4194305 is above Linux's largest pid), and leaves a live process's and other outputs' alone.</summary>
    [Fact]
    public void The_next_run_removes_temporaries_that_killed_runs_left_for_its_output()
    {
        string output = Path.Combine(_dir, "m.safetensors");
        string stale = Path.Combine(_dir, ".m.safetensors.4194305.tmp");
        string probe = Path.Combine(_dir, ".digits-write-test-4194305");
        string live = Path.Combine(_dir, ".m.safetensors.1.tmp"); // pid 1 always runs
        string other = Path.Combine(_dir, ".other.safetensors.4194305.tmp");
        string longStale = OutputFile.TemporaryPath(Path.Combine(_dir, new string('m', 250)), 4194305);
        foreach (string f in new[] { stale, probe, live, other, longStale }) File.WriteAllBytes(f, [1, 2, 3]);

        var (code, _, err) = Digits(Train(output));
        Assert.True(code == ExitCodes.Success, err);
        Assert.False(File.Exists(stale), "a killed save's temporary was left");
        Assert.False(File.Exists(probe), "a killed run's write test was left");
        Assert.True(File.Exists(live), "a running process's temporary was deleted");
        Assert.True(File.Exists(other), "another output's temporary was deleted");
        Assert.True(File.Exists(longStale), "another output's temporary was deleted");
        Assert.Empty(Directory.EnumerateFiles(_dir, ".digits-write-test-*"));

        (code, _, err) = Digits(Train(Path.Combine(_dir, new string('m', 250))));
        Assert.True(code == ExitCodes.Success, err);
        Assert.False(File.Exists(longStale), "a shortened temporary name was not recognized as the output's");
    }

    // ── a full disk ──────────────────────────────────────────────────────────────────────────────────────────────

    /// <summary>Issue 12: the model's save on a full disk was "unexpected IOException: No space left on device".</summary>
    [Fact]
    public void A_full_disk_at_the_model_save_is_one_sentence_exit_1_and_the_previous_model_is_intact()
    {
        using var disk = FullDisk.Mount(Path.Combine(_dir, "full"));
        string output = Path.Combine(disk.Folder, "existing.safetensors");
        File.WriteAllText(output, "an earlier model");
        disk.Fill();
        var (code, _, err) = Digits(Train(output));
        Assert.Equal(ExitCodes.RuntimeFailure, code);
        Assert.Equal($"digits: could not write the trained model to {output}: the disk is full (no space left on " +
                     $"device); the previous {output} is intact", err.TrimEnd());
        Assert.Equal("an earlier model", File.ReadAllText(output));
        Assert.Empty(Directory.EnumerateFiles(disk.Folder, "*.tmp"));
    }

    /// <summary>Issue 12: a full disk was exit 1 for a model but exit 2 for a report. One rule: a runtime failure
    /// is exit 1, for <c>digits report</c> and for <c>train --report</c>.</summary>
    [Fact]
    public void A_full_disk_at_the_report_is_exit_1_like_the_model()
    {
        string model = SavedModel();
        string folder = Path.Combine(_dir, "report");
        using var disk = FullDisk.Mount(folder);
        string index = Path.Combine(folder, "index.html");
        File.WriteAllText(index, "an earlier report");
        disk.Fill();
        var (code, _, err) = Digits("report", "--model", model, "--out", folder, "--dataset", _dataset, "--device", "cpu");
        Assert.Equal(ExitCodes.RuntimeFailure, code);
        Assert.Equal($"digits: could not write the report {index}: the disk is full (no space left on device); the " +
                     $"previous {index} is intact", err.TrimEnd());
        Assert.Equal("an earlier report", File.ReadAllText(index));
        Assert.Single(Directory.EnumerateFileSystemEntries(folder));

        (code, _, err) = Digits(Train(Path.Combine(_dir, "m.safetensors"), "--report", folder));
        Assert.Equal(ExitCodes.RuntimeFailure, code);
        Assert.StartsWith($"digits: could not write the report {index}: the disk is full", err);
    }

    /// <summary>With the report's write failures now exit 1, what can be known before the work (a report folder
    /// that is a file) is refused first, exit 2, before training or evaluating.</summary>
    [Fact]
    public void A_report_folder_that_is_a_file_is_refused_before_any_work()
    {
        string file = Path.Combine(_dir, "not-a-folder");
        File.WriteAllText(file, "x");
        string output = Path.Combine(_dir, "m.safetensors");
        var (code, @out, err) = Digits(Train(output, "--report", file));
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Equal($"digits: --report: {file} is a file; give a folder", err.TrimEnd());
        Assert.DoesNotContain("1/2", @out);
        Assert.False(File.Exists(output));
        (code, _, err) = Digits("report", "--model", Path.Combine(_dir, "absent.safetensors"), "--out", file);
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Equal($"digits: --out: {file} is a file; give a folder", err.TrimEnd());
    }

    /// <summary>Issue 12: checkpoints on a full disk with the model elsewhere: the run warns each epoch, keeps
    /// training, saves the model, exits 0 — and now ends with a line saying no checkpoint was written.</summary>
    [Fact]
    public void Checkpoints_on_a_full_disk_warn_each_epoch_and_the_run_ends_saying_none_was_written()
    {
        string output = Path.Combine(_dir, "m.safetensors"), folder = Path.Combine(_dir, "ck");
        using var disk = FullDisk.Mount(folder);
        disk.Fill();
        var (code, _, err) = Digits(Train(output, "--checkpoint", folder));
        Assert.True(code == ExitCodes.Success, err);
        Assert.True(File.Exists(output));
        var lines = err.TrimEnd().Split('\n');
        Assert.Equal(3, lines.Length);
        for (int epoch = 1; epoch <= 2; epoch++)
            Assert.Equal($"digits: warning: could not write the checkpoint after epoch {epoch} in {folder}: the disk is " +
                         "full (no space left on device); training goes on", lines[epoch - 1]);
        Assert.Equal($"digits: warning: no checkpoint was written in {folder} (2 tried; the disk is full (no space left " +
                     "on device)): this run could not have been resumed", lines[2]);
        Assert.Empty(Checkpoint.List(folder));
        Assert.Empty(Directory.EnumerateFiles(folder, "*.tmp"));
    }
}
