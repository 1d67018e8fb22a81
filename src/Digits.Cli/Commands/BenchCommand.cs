using Digits.Cli.Verbs;
using Digits.Core.Backends;
using Digits.Core.Data;
using Digits.Core.Model;
using Digits.Core.Training;
using Digits.Cpu;

namespace Digits.Cli.Commands;

/// <summary>
/// <c>digits bench</c>: whole training epochs on MNIST per device and configuration, training time only (no
/// evaluation inside the timed epochs), after untimed warm-up epochs. Each device and configuration gets a fresh
/// backend so its peak memory is its own. With <c>--target-accuracy</c>, the time-to-accuracy speedrun instead.
/// </summary>
internal sealed class BenchCommand(BenchVerb verb, TextWriter stdout, TextWriter stderr)
{
    /// <summary>One row of the table, as <c>--json</c> prints it.</summary>
    private sealed record Row(string Device, string Config, double MedianEpochSeconds, double MinEpochSeconds,
        double MaxEpochSeconds, double ImagesPerSecond, double GflopsPerSecond, double? PeakGflopsPerSecond,
        double? FractionOfPeak, double LaunchesPerStep, long PeakDeviceBytes, double? SpeedupVsCpu, double TestAccuracy,
        int Epochs, string Description, string? PeakSource);

    /// <summary>One configuration's op-by-op profile on one device (<c>--profile</c>).</summary>
    private sealed record Profile(string Config, string Device, IReadOnlyList<OpProfiler.Entry> Entries,
        double Seconds, long Steps);

    private const string Header = "config   device      median s    min s    max s     images/s   GFLOP/s  peak GFLOP/s  % peak  launches/step  peak MiB  vs cpu  test acc";

    /// <summary>Measures every configuration on every device, cpu first, and prints each row (or writes its JSON
    /// line) as soon as it is measured, so a run cut short keeps what it measured.</summary>
    public int Run()
    {
        int epochs = verb.Epochs ?? 3, warmup = verb.Warmup ?? 1;
        if (epochs < 1) throw new UsageException($"--epochs must be at least 1, got {epochs}");
        if (warmup < 0) throw new UsageException($"--warmup must be ≥ 0, got {warmup}");
        if (verb.Gemm) return Gemm();
        var devices = Devices();
        var data = DataLoading.Load(new DatasetSpec.Named(DatasetCatalog.Mnist), verb.Data, true, 0, 1, stderr, default);
        if (verb.TargetAccuracy is { } target) return Speedrun(devices, data, target, warmup);
        var configs = Configs();
        var report = new Reporter(stdout, verb.Json, quiet: false);
        report.Info($"digits bench: {epochs} timed epoch(s) after {warmup} warm-up, {data.Train.Count} MNIST training images, " +
                    $"training time only; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        if (devices.Any(d => d.StartsWith("cpu", StringComparison.Ordinal)))
            report.Info($"cpu peak: {FmaPeak.Measured.Method}");
        var rows = new List<Row>();
        var profiles = new List<Profile>();
        foreach (var config in configs)
        {
            foreach (string device in devices)
            {
                var (measured, profile) = Measure(config, device, data, epochs, warmup);
                var row = measured with
                {
                    SpeedupVsCpu = rows.Append(measured).FirstOrDefault(c => c.Config == config.Name && c.Device == "cpu")
                        is { } cpu ? measured.ImagesPerSecond / cpu.ImagesPerSecond : null,
                };
                rows.Add(row);
                if (verb.Json)
                {
                    report.Object(row);
                    if (profile is not null) report.Object(ProfileObject(profile));
                    continue;
                }
                if (rows.Count == 1) stdout.WriteLine(Header);
                stdout.WriteLine(Line(row));
                if (profile is not null) profiles.Add(profile);
            }
        }
        if (verb.Json) return ExitCodes.Success;
        foreach (var d in rows.Select(r => (r.Device, r.Description, r.PeakSource)).Distinct())
            stdout.WriteLine($"{d.Device}: {d.Description}" + (d.PeakSource is null || d.Device == "cpu" ? "" : $"; peak = {d.PeakSource}"));
        foreach (var p in profiles) WriteProfile(p.Config, p.Device, p.Entries, p.Seconds, p.Steps);
        return ExitCodes.Success;
    }

    /// <summary>Trains <paramref name="config"/> on a fresh backend for <paramref name="device"/> (so its peak memory
    /// is its own) and times the epochs after the warm-up.</summary>
    private (Row Row, Profile? Profile) Measure(BenchConfig config, string device, DatasetSplits data, int epochs,
        int warmup)
    {
        stderr.WriteLine($"bench: {config.Name} on {device} ...");
        using var open = DeviceSelector.Open(device, verb.Threads);
        using var profiler = verb.Profile
            ? new OpProfiler((BackendBase)open.Backend, synchronizeEachOp: open.Backend is not HostBackend) { Recording = false }
            : null;
        var trainer = new Trainer(open.Backend, config.Options with { Epochs = warmup + epochs, Seed = 1 })
        {
            EvaluateEachEpoch = false,
            CaptureSteps = profiler is null, // a profile times each op: no step graph
        };
        trainer.Notice += n => stderr.WriteLine($"bench: {n}");
        if (profiler is not null)
        {
            // Time the timed epochs only: from the start of the first after the warm-up to the end of the last.
            trainer.EpochStarting += e => profiler.Recording = e >= warmup;
            trainer.EpochCompleted += r => profiler.Recording = false;
        }
        var result = trainer.Train(MlpModel.Initialize(config.Spec, 1), data.Train, null, data.Test);
        var timed = result.History.Skip(warmup).Select(r => r.Seconds).Order().ToArray();
        double median = timed.Length % 2 == 1 ? timed[timed.Length / 2]
            : (timed[timed.Length / 2 - 1] + timed[timed.Length / 2]) / 2;
        double imagesPerSecond = data.Train.Count / median;
        double gflops = imagesPerSecond * config.FlopsPerImage / 1e9;
        double? peak = BackendCatalog.PeakGflops(open.Backend);
        var row = new Row(open.Backend.Name, config.Name, median, timed[0], timed[^1], imagesPerSecond, gflops, peak,
            peak is { } p ? gflops / p : null, result.LaunchesPerStep, open.Backend.PeakAllocatedBytes, null,
            result.Test.Accuracy, epochs, open.Backend.Description, BackendCatalog.PeakSource(open.Backend));
        var profile = profiler is null ? null
            : new Profile(config.Name, open.Backend.Name, profiler.Entries, result.History.Skip(warmup).Sum(r => r.Seconds),
                epochs * StepsPerEpoch(data.Train.Count, config.Options.BatchSize));
        return (row, profile);
    }

    private static string Line(Row r) =>
        $"{r.Config,-8} {r.Device,-10} {r.MedianEpochSeconds,9:0.000} {r.MinEpochSeconds,8:0.000} {r.MaxEpochSeconds,8:0.000} " +
        $"{r.ImagesPerSecond,12:N0} {r.GflopsPerSecond,9:0.0} {(r.PeakGflopsPerSecond is { } p ? p.ToString("0") : "?"),13} " +
        $"{(r.FractionOfPeak is { } f ? f.ToString("0%") : "?"),7} {r.LaunchesPerStep,14:0.0} {r.PeakDeviceBytes / 1048576.0,9:0.0} " +
        $"{(r.SpeedupVsCpu is { } s ? s.ToString("0.00") + "×" : "-"),7} {r.TestAccuracy,9:0.00%}";

    private static object ProfileObject(Profile p) => new
    {
        Profile = p.Config, p.Device, TimedSeconds = p.Seconds, p.Steps,
        Ops = p.Entries.Select(e => new
        {
            e.Op, e.Shape, CallsPerStep = e.Calls / (double)p.Steps, MillisecondsPerStep = 1000 * e.Seconds / p.Steps,
            Share = e.Seconds / p.Seconds, Gflops = e.FlopsPerCall > 0 ? e.Calls * e.FlopsPerCall / e.Seconds / 1e9 : (double?)null,
        }),
    };

    private static long StepsPerEpoch(int images, int batch) => (images + Math.Min(batch, images) - 1) / Math.Min(batch, images);

    /// <summary>One configuration's op-by-op breakdown: per training step, slowest first, and what no op accounts for
    /// (the host loop, the per-epoch reads).</summary>
    private void WriteProfile(string config, string device, IReadOnlyList<OpProfiler.Entry> entries, double seconds,
        long steps)
    {
        stdout.WriteLine();
        stdout.WriteLine($"profile: {config} on {device}, {steps:N0} steps in {seconds:0.000} s of timed epochs ({1000 * seconds / steps:0.000} ms per step)");
        stdout.WriteLine("op                     shape                 calls/step   ms/step   share   GFLOP/s");
        double timed = 0;
        int small = 0;
        foreach (var e in entries)
        {
            timed += e.Seconds;
            if (e.Seconds < 0.001 * seconds)
            {
                small++;
                continue;
            }
            string gflops = e.FlopsPerCall > 0 ? (e.Calls * e.FlopsPerCall / e.Seconds / 1e9).ToString("0.0") : "";
            stdout.WriteLine($"{e.Op,-22} {e.Shape,-20} {e.Calls / (double)steps,11:0.00} {1000 * e.Seconds / steps,9:0.000} {e.Seconds / seconds,7:0.0%} {gflops,9}");
        }
        if (small > 0) stdout.WriteLine($"({small} more op/shape pairs under 0.1 % each, e.g. the epoch's last, partial mini-batch)");
        double rest = seconds - timed;
        stdout.WriteLine($"{"(outside the ops)",-22} {"",-20} {"",11} {1000 * rest / steps,9:0.000} {rest / seconds,7:0.0%}");
    }

    private int Speedrun(IReadOnlyList<string> devices, DatasetSplits data, double target, int warmup)
    {
        if (target is <= 0 or >= 100) throw new UsageException($"--target-accuracy must be a percentage in (0, 100), got {target}");
        var config = BenchConfig.Speedrun;
        var report = new Reporter(stdout, verb.Json, quiet: false);
        report.Info($"digits bench --target-accuracy {target}: speedrun preset {config.Spec}, Adam lr {config.Options.LearningRate} " +
                    $"cosine over {config.Options.Epochs} epochs, mini-batch {config.Options.BatchSize}; test accuracy checked after every epoch");
        foreach (string device in devices)
        {
            using var open = DeviceSelector.Open(device, verb.Threads);
            if (warmup > 0)
            {
                // Untimed: JIT tiers, kernel compilation and caches warm up on a tenth of the data.
                var tenth = data.Train.Subset(Enumerable.Range(0, data.Train.Count / 10).ToArray(), "warm-up");
                new Trainer(open.Backend, config.Options with { Epochs = 1 }) { EvaluateEachEpoch = false }
                    .Train(MlpModel.Initialize(config.Spec, 2), tenth, null, data.Test);
            }
            var trainer = new Trainer(open.Backend, config.Options) { StopWhen = r => r.TestAccuracy * 100 >= target };
            var result = trainer.Train(MlpModel.Initialize(config.Spec, 1), data.Train, null, data.Test);
            var reached = result.History.FirstOrDefault(r => r.TestAccuracy * 100 >= target);
            int upTo = reached?.Epoch ?? result.History.Count;
            double trainSeconds = result.History.Take(upTo).Sum(r => r.Seconds);
            double evalSeconds = result.History.Take(upTo).Sum(r => r.EvalSeconds);
            if (verb.Json)
                report.Object(new
                {
                    device = open.Backend.Name, config = config.Name, target_accuracy = target / 100, reached = reached is not null,
                    epochs = upTo, training_seconds = trainSeconds, evaluation_seconds = evalSeconds,
                    test_accuracy = reached?.TestAccuracy ?? result.History[^1].TestAccuracy,
                });
            else
                stdout.WriteLine(reached is not null
                    ? $"{open.Backend.Name}: {reached.TestAccuracy:0.00%} after {upTo} epoch(s): {trainSeconds:0.00} s of training " +
                      $"(evaluation {evalSeconds:0.00} s, not counted)"
                    : $"{open.Backend.Name}: did not reach {target}% in {upTo} epochs (best {result.History.Max(r => r.TestAccuracy):0.00%}, " +
                      $"{trainSeconds:0.00} s of training)");
        }
        return ExitCodes.Success;
    }

    /// <summary><c>--gemm</c>: the GEMM yardstick (<see cref="GemmBench"/>) on --devices, by default cuda.</summary>
    private int Gemm()
    {
        if (verb.Json || verb.Profile || verb.TargetAccuracy is not null)
            throw new UsageException("--gemm prints its own table; it takes --devices and --square, not --json, --profile or --target-accuracy");
        var devices = (verb.Devices ?? "cuda").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (devices.FirstOrDefault(d => d is "cpu" or "reference") is { } host)
            throw new UsageException($"--gemm times the GPU kernels; {host} is not an ILGPU device (use cuda[:N], opencl[:N], ilgpu-cpu)");
        if (verb.Square is < 1 or > 16384) throw new UsageException($"--square must be in [1, 16384], got {verb.Square}");
        return GemmBench.Run(devices, verb.Square ?? 0, stdout);
    }

    /// <summary>--devices, or cpu and every available GPU; cpu first either way, so each GPU row can say its
    /// speed-up over the cpu row before it.</summary>
    private IReadOnlyList<string> Devices()
    {
        if (verb.Devices is { } list)
            return list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .OrderBy(d => d == "cpu" ? 0 : 1).ToArray();
        // The CPU and every available GPU (never ilgpu-cpu or reference: they are for checking, not speed).
        return ["cpu", .. BackendCatalog.List().Where(d => d.Available && d.IsGpu).Select(d => d.Name)];
    }

    private IReadOnlyList<BenchConfig> Configs()
    {
        var names = (verb.Config ?? "small,large,nielsen").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return names.Select(n => BenchConfig.All.FirstOrDefault(c => c.Name == n.ToLowerInvariant())
            ?? throw new UsageException($"--config: unknown configuration '{n}'; use {string.Join(", ", BenchConfig.All.Select(c => c.Name))}")).ToList();
    }
}
