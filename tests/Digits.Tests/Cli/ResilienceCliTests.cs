using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Digits.Cli;
using Digits.Cli.Verbs;
using Digits.Core.Model;
using Digits.Core.Training;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary>
/// <c>digits train</c> when things go wrong, as users meet it: a real <c>digits</c> process killed with SIGKILL or
/// stopped with SIGINT/SIGTERM mid-run, then resumed with <c>--resume</c>, must end with the weights of a run never
/// stopped (CPU, same threads: bit for bit); every way of misusing checkpoints is one line and exit code 2; a
/// diverging loss and running out of memory are one line and exit code 1, with the existing model untouched.
/// </summary>
public sealed partial class ResilienceCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("digits-ckpt-cli-").FullName;
    private readonly string _train, _test;

    public ResilienceCliTests()
    {
        // 6000 MNIST images as a Kaggle-style CSV (and 300 to test on): small enough to train in seconds, large
        // enough (600 mini-batches of 10 per epoch, most of a second) that a signal lands inside an epoch.
        var mnist = RealData.RequireMnist();
        _train = Path.Combine(_dir, "train.csv");
        _test = Path.Combine(_dir, "test.csv");
        KaggleCsv.Write(_train, mnist.Train, 6000);
        KaggleCsv.Write(_test, mnist.Test, 300);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] Run(string output, params string[] more) =>
    [
        "train", "--dataset", $"csv:{_train},{_test}", "--layers", "512,512", "--batch-size", "10", "--epochs", "3",
        "--lr", "0.002", "--device", "cpu", "--threads", "1", "--output", output, .. more,
    ];

    private static (int Code, string Out, string Err) Digits(params string[] args) => DigitsCli.Run(args);

    private static readonly Lock BaselineGate = new();
    private static float[]? _baseline;

    /// <summary>The weights of the same run never stopped (the data is the same every time, so computed once).</summary>
    private float[] Baseline()
    {
        lock (BaselineGate)
        {
            if (_baseline is not null) return _baseline;
            string output = Path.Combine(_dir, "uninterrupted.safetensors");
            var (code, _, err) = Digits(Run(output));
            Assert.True(code == ExitCodes.Success, err);
            Assert.Equal("", err); // a healthy run: no warning
            return _baseline = ModelFile.Load(output).Parameters;
        }
    }

    /// <summary>Starts <c>dotnet digits.dll ARGS</c> as a child process with its output captured.</summary>
    private static Process Start(string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";
        var info = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        info.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (string a in args) info.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        return Process.Start(info) ?? throw new InvalidOperationException("could not start digits");
    }

    /// <summary>Follows a child's standard output line by line.</summary>
    private sealed class Lines
    {
        private readonly List<string> _lines = [];
        public Lines(Process process, CancellationToken token) => Done = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync(token) is { } line)
                lock (_lines) _lines.Add(line);
        }, token);

        public Task Done { get; }

        public string? Find(string prefix)
        {
            lock (_lines) return _lines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        }
    }

    /// <summary>Waits until the first epoch is over and checkpointed, then 15–35 % of that epoch's time more, so the
    /// run is inside its second epoch's mini-batches.</summary>
    private static async Task IntoSecondEpoch(Process process, Lines stdout, string folder, CancellationToken token)
    {
        var clock = Stopwatch.StartNew();
        string? first;
        while ((first = stdout.Find("1/3 ")) is null || Checkpoint.List(folder).Count == 0)
        {
            Assert.False(process.HasExited, $"digits exited with {(process.HasExited ? process.ExitCode : 0)} before its first checkpoint");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), "no checkpoint after 120 s");
            await Task.Delay(5, token);
        }
        // "1/3  train-loss train-acc test-loss test-acc seconds images/s": the epoch's training seconds.
        double seconds = double.Parse(first.Split(' ', StringSplitOptions.RemoveEmptyEntries)[5], CultureInfo.InvariantCulture);
        await Task.Delay(TimeSpan.FromSeconds(seconds * (0.15 + 0.2 * Random.Shared.NextDouble())), token);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);

    [Fact]
    public async Task A_run_killed_with_SIGKILL_mid_epoch_resumes_to_bit_identical_weights()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("needs POSIX signals (Linux)");
        var token = TestContext.Current.CancellationToken;
        float[] expected = Baseline();
        string folder = Path.Combine(_dir, "ck"), output = Path.Combine(_dir, "killed.safetensors");
        using var child = Start(Run(output, "--checkpoint", folder));
        var stderr = child.StandardError.ReadToEndAsync(token);
        var stdout = new Lines(child, token);
        await IntoSecondEpoch(child, stdout, folder, token);
        Assert.False(child.HasExited, "the run finished before it could be killed; make it longer");
        child.Kill(); // SIGKILL: no handler runs, nothing is flushed
        await child.WaitForExitAsync(token);
        await Task.WhenAll(stderr, stdout.Done);
        Assert.NotEqual(0, child.ExitCode);
        Assert.Null(stdout.Find("2/3 ")); // killed inside the second epoch
        Assert.Equal(1, Checkpoint.LoadLatest(folder).State.Epoch);
        Assert.False(File.Exists(output), "a killed run left a model file");

        var (code, @out, err) = Digits("train", "--resume", folder, "--device", "cpu", "--threads", "1");
        Assert.True(code == ExitCodes.Success, err);
        Assert.Contains($"resuming: from {folder}", @out);
        Assert.True(expected.AsSpan().SequenceEqual(ModelFile.Load(output).Parameters),
            "weights after SIGKILL and --resume differ from an uninterrupted run");
    }

    [Theory]
    [InlineData(2, "SIGINT")]
    [InlineData(15, "SIGTERM")]
    public async Task A_signal_finishes_the_mini_batch_saves_a_checkpoint_says_how_to_resume_and_exits_130(
        int signal, string name)
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("needs POSIX signals (Linux)");
        var token = TestContext.Current.CancellationToken;
        float[] expected = Baseline();
        string folder = Path.Combine(_dir, $"ck-{name}"), output = Path.Combine(_dir, $"{name}.safetensors");
        using var child = Start(Run(output, "--checkpoint", folder));
        var stderr = child.StandardError.ReadToEndAsync(token);
        var stdout = new Lines(child, token);
        await IntoSecondEpoch(child, stdout, folder, token);
        Assert.False(child.HasExited, "the run finished before the signal; make it longer");
        Assert.Equal(0, SendSignal(child.Id, signal));
        await child.WaitForExitAsync(token);
        string err = await stderr;
        await stdout.Done;

        Assert.True(ExitCodes.Interrupted == child.ExitCode, $"{name}: exit code {child.ExitCode}, stderr: {err}");
        var lines = err.TrimEnd().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Matches(@"^digits: interrupted in epoch 2 after step \d+ of 600; checkpoint saved to .*checkpoint-\d{10}\.safetensors; no model was saved$", lines[0]);
        Assert.Equal($"digits: resume with: digits train --resume {folder}", lines[1]);
        Assert.False(File.Exists(output));
        var saved = Checkpoint.LoadLatest(folder).State;
        Assert.Contains(Path.GetFileName(Checkpoint.FileName(saved.StepsTaken)), lines[0]);
        Assert.True(saved.Epoch == 1 && saved.StepInEpoch > 0, $"the checkpoint is {saved.Position}, not inside epoch 2");

        var (code, _, resumeErr) = Digits("train", "--resume", folder, "--device", "cpu", "--threads", "1");
        Assert.True(code == ExitCodes.Success, resumeErr);
        Assert.True(expected.AsSpan().SequenceEqual(ModelFile.Load(output).Parameters),
            $"weights after {name} and --resume differ from an uninterrupted run");
    }

    [Fact]
    public void Every_resume_and_checkpoint_mistake_is_one_line_and_exit_2()
    {
        string folder = Path.Combine(_dir, "ck"), output = Path.Combine(_dir, "m.safetensors");
        string[] oneEpoch = ["train", "--dataset", $"csv:{_train},{_test}", "--layers", "32", "--epochs", "2",
            "--device", "cpu", "--threads", "1", "--output", output, "--checkpoint", folder];
        var (code, _, err) = Digits(oneEpoch);
        Assert.True(code == ExitCodes.Success, err);

        void Refused(string expected, params string[] args)
        {
            var (c, o, e) = Digits(args);
            Assert.True(c == ExitCodes.UsageOrInput, $"{string.Join(' ', args)} → {c}: {e}{o}");
            Assert.Equal($"digits: {expected}", e.TrimEnd());
        }

        string missing = Path.Combine(_dir, "nope");
        Refused($"--resume: {missing} does not exist", "train", "--resume", missing);
        string empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        Refused($"--resume: {empty} holds no checkpoint (checkpoint-*.safetensors); checkpoints are written by digits " +
                "train --checkpoint DIR", "train", "--resume", empty);
        Refused("--resume: --lr 0.5 differs from the checkpoint's 0.001; a resumed run keeps its settings (drop --lr, " +
                "or start a new run without --resume)", "train", "--resume", folder, "--lr", "0.5");
        Refused("--resume: --epochs 5 differs from the checkpoint's 2; a resumed run keeps its settings (drop --epochs, " +
                "or start a new run without --resume)", "train", "--resume", folder, "--epochs", "5");
        Refused("--resume: --layers 64 differs from the checkpoint's 32; a resumed run keeps its settings (drop " +
                "--layers, or start a new run without --resume)", "train", "--resume", folder, "--layers", "64");
        // Issue 24: the device and thread count are the run's too (the result depends on them).
        Refused("--resume: --threads 2 differs from the checkpoint's 1; a resumed run keeps the device and thread count " +
                "it ran with, which its results depend on (drop --threads, or start a new run without --resume)",
            "train", "--resume", folder, "--threads", "2");
        Refused("--resume: --device reference differs from the checkpoint's cpu; a resumed run keeps the device and " +
                "thread count it ran with, which its results depend on (drop --device, or start a new run without --resume)",
            "train", "--resume", folder, "--device", "reference");
        string file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "x");
        Refused($"--checkpoint: {file} is a file; give a folder", "train", "--checkpoint", file);

        // A second run on a folder in use.
        using (new FileStream(Path.Combine(folder, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var (c, _, e) = Digits("train", "--resume", folder, "--device", "cpu");
            Assert.Equal(ExitCodes.UsageOrInput, c);
            Assert.StartsWith($"digits: --resume: {folder} is in use by another digits train run", e);
        }

        // Flags that do not change the numbers are fine (the run is finished, so only the final evaluation runs).
        var (ok, okOut, okErr) = Digits("train", "--resume", folder, "--lr", "0.001", "--epochs", "2", "--device", "cpu",
            "--threads", "1", "--output", Path.Combine(_dir, "again.safetensors"));
        Assert.True(ok == ExitCodes.Success, okErr);
        Assert.Contains("resuming: from", okOut);
        Assert.Contains("after epoch 2", okOut);

        // Every checkpoint damaged: the newest's problem is named.
        foreach (var (_, path) in Checkpoint.List(folder)) File.WriteAllBytes(path, File.ReadAllBytes(path)[..100]);
        var (bad, _, badErr) = Digits("train", "--resume", folder);
        Assert.Equal(ExitCodes.UsageOrInput, bad);
        Assert.Matches(@"^digits: --resume: checkpoint-\d{10}\.safetensors: header length \d+ is larger than the file \(100 bytes\) allows", badErr);
        Assert.Single(badErr.TrimEnd().Split('\n'));
    }

    [Fact]
    public void A_model_file_and_a_checkpoint_are_not_mistaken_for_each_other()
    {
        string folder = Path.Combine(_dir, "ck"), output = Path.Combine(_dir, "m.safetensors");
        var (code, _, err) = Digits("train", "--dataset", $"csv:{_train},{_test}", "--layers", "16", "--epochs", "1",
            "--device", "cpu", "--output", output, "--checkpoint", folder);
        Assert.True(code == ExitCodes.Success, err);
        string checkpoint = Checkpoint.List(folder)[0].Path;
        var (c, _, e) = Digits("evaluate", "--model", checkpoint, "--dataset", $"csv:{_train},{_test}");
        Assert.Equal(ExitCodes.UsageOrInput, c);
        Assert.Contains("format is 'digits-checkpoint/1', this version reads 'digits-mlp/1' (this is a checkpoint: use it with --resume)", e);
        string asFolder = Directory.CreateDirectory(Path.Combine(_dir, "model-only")).FullName;
        File.Copy(output, Path.Combine(asFolder, Checkpoint.FileName(1)));
        var (c2, _, e2) = Digits("train", "--resume", asFolder);
        Assert.Equal(ExitCodes.UsageOrInput, c2);
        Assert.Contains("format is 'digits-mlp/1'; a checkpoint is 'digits-checkpoint/1' (this is a model file: use it with --model)", e2);
    }

    [Fact]
    public void A_diverging_run_exits_1_naming_epoch_step_and_learning_rate_and_keeps_the_existing_model()
    {
        string output = Path.Combine(_dir, "existing.safetensors");
        File.WriteAllText(output, "an earlier model");
        string folder = Path.Combine(_dir, "ck");
        var (code, _, err) = Digits("train", "--dataset", $"csv:{_train},{_test}", "--layers", "64", "--epochs", "2",
            "--optimizer", "sgd", "--lr", "1e20", "--lr-schedule", "constant", "--device", "cpu", "--output", output,
            "--checkpoint", folder);
        Assert.Equal(ExitCodes.RuntimeFailure, code);
        Assert.Matches(@"^digits: training diverged in epoch 1, step \d+ of 47: the loss became NaN or infinite at " +
                       @"learning rate 1e\+20; try a smaller --lr \(e\.g\. --lr 1e\+19\); no model was saved \(.*existing\.safetensors is unchanged\)$",
            err.TrimEnd());
        Assert.Equal("an earlier model", File.ReadAllText(output));
        Assert.Empty(Checkpoint.List(folder)); // the diverged epoch was never checkpointed
    }

    [Fact]
    public void A_run_that_stays_finite_but_does_not_learn_is_saved_with_a_warning_naming_the_learning_rate()
    {
        string output = Path.Combine(_dir, "poor.safetensors");
        var (code, _, err) = Digits("train", "--dataset", $"csv:{_train},{_test}", "--layers", "32", "--epochs", "2",
            "--lr", "5", "--device", "cpu", "--output", output);
        Assert.Equal(ExitCodes.Success, code);
        Assert.True(File.Exists(output));
        Assert.Matches(@"^digits: warning: training did not converge \(train loss [\d.]+ in epoch 1, [\d.]+ in epoch 2; " +
                       @"test accuracy [\d.]+%, chance is 10%\); --lr 5 may be too high: try --lr 0\.5$", err.TrimEnd());
    }

    [Fact]
    public async Task Running_out_of_cpu_memory_names_the_sizes_and_the_limit_and_exits_1()
    {
        var token = TestContext.Current.CancellationToken;
        string output = Path.Combine(_dir, "existing.safetensors");
        File.WriteAllText(output, "an earlier model");
        // A 1 GiB heap limit stands in for a small machine: parameters, gradients and Adam's moments of a 784-50000-10
        // network take 636 MB, and its (B, H) activations 600 MB each, so they cannot all fit.
        using var child = Start(["train", "--dataset", $"csv:{_train},{_test}", "--layers", "50000", "--batch-size", "3000",
            "--epochs", "1", "--device", "cpu", "--output", output],
            new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x40000000" });
        var stderr = child.StandardError.ReadToEndAsync(token);
        var stdout = child.StandardOutput.ReadToEndAsync(token);
        await child.WaitForExitAsync(token);
        string err = await stderr;
        await stdout;
        Assert.True(child.ExitCode == ExitCodes.RuntimeFailure, $"exit {child.ExitCode}: {err}");
        var m = System.Text.RegularExpressions.Regex.Match(err.TrimEnd(),
            @"^digits: cpu failed in uploading the datasets and allocating buffers: out of memory: a buffer of " +
            @"([\d,]+) bytes was requested with [\d,]+ bytes in cpu buffers and ([\d,]+) in use in all; cpu may use " +
            @"1,073,741,824 bytes \(use a smaller --batch-size or narrower --layers\); no model was saved " +
            @"\(.*existing\.safetensors is unchanged\)$");
        Assert.True(m.Success, err);
        long Bytes(int group) => long.Parse(m.Groups[group].Value.Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Bytes(1) + Bytes(2) > 1L << 30, "the figures given do not explain the refusal");
        Assert.Equal("an earlier model", File.ReadAllText(output));
    }

    /// <summary>Issue 24: a run started with <c>--device cpu --threads 1</c> resumed on "2 threads … chosen by --device
    /// auto" (on a CUDA machine auto takes the GPU; on the CPU the thread count decides the bits), and a relative
    /// <c>--output</c> was stored as given, so resuming from another folder wrote the model there. Both are kept now:
    /// the resumed run says it runs on the run's own device and thread count, and writes the run's own file.</summary>
    [Fact]
    public void A_resumed_run_keeps_its_device_thread_count_and_output_file_from_any_folder()
    {
        string start = Directory.CreateDirectory(Path.Combine(_dir, "started-here")).FullName;
        string elsewhere = Directory.CreateDirectory(Path.Combine(_dir, "resumed-here")).FullName;
        string folder = Path.Combine(_dir, "ck");
        // Stopped after its first epoch of two: the checkpoint of a one-epoch run of the same settings and seed.
        var (code, _, err) = DigitsProcess.Run(["train", "--dataset", $"csv:{_train},{_test}", "--layers", "16",
            "--epochs", "2", "--device", "cpu", "--threads", "1", "--output", "model.safetensors", "--checkpoint", folder],
            TimeSpan.FromMinutes(3), start);
        Assert.True(code == ExitCodes.Success, err);
        string model = Path.Combine(start, "model.safetensors");
        var trained = File.ReadAllBytes(model);
        File.Delete(model);
        File.Delete(Checkpoint.List(folder)[0].Path); // keep epoch 1's: the run resumes at the start of epoch 2
        var (resumed, output, resumeErr) = DigitsProcess.Run(["train", "--resume", folder], TimeSpan.FromMinutes(3), elsewhere);
        Assert.True(resumed == ExitCodes.Success, resumeErr);
        Assert.Contains("device: cpu: 1 thread, ", output);
        Assert.Contains(" — the device the resumed run ran on", output);
        Assert.Contains($"model saved to {model}", output);
        Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere));
        Assert.Equal(trained.Length, new FileInfo(model).Length);
        Assert.True(ModelFile.Load(model).Parameters.AsSpan().SequenceEqual(
            ModelFile.Load(Save(trained)).Parameters), "the resumed run's weights differ from the uninterrupted run's");
    }

    private string Save(byte[] model)
    {
        string path = Path.Combine(_dir, "uninterrupted-copy.safetensors");
        File.WriteAllBytes(path, model);
        return path;
    }
}
