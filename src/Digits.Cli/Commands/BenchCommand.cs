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
        int Epochs, string Description);

    public int Run()
    {
        int epochs = verb.Epochs ?? 3, warmup = verb.Warmup ?? 1;
        if (epochs < 1) throw new UsageException($"--epochs must be at least 1, got {epochs}");
        if (warmup < 0) throw new UsageException($"--warmup must be ≥ 0, got {warmup}");
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
        foreach (var config in configs)
        {
            foreach (string device in devices)
            {
                stderr.WriteLine($"bench: {config.Name} on {device} ...");
                using var open = DeviceSelector.Open(device, verb.Threads);
                var trainer = new Trainer(open.Backend, config.Options with { Epochs = warmup + epochs, Seed = 1 })
                {
                    EvaluateEachEpoch = false,
                };
                trainer.Notice += n => stderr.WriteLine($"bench: {n}");
                var result = trainer.Train(MlpModel.Initialize(config.Spec, 1), data.Train, null, data.Test);
                var timed = result.History.Skip(warmup).Select(r => r.Seconds).Order().ToArray();
                double median = timed.Length % 2 == 1 ? timed[timed.Length / 2]
                    : (timed[timed.Length / 2 - 1] + timed[timed.Length / 2]) / 2;
                double imagesPerSecond = data.Train.Count / median;
                double gflops = imagesPerSecond * config.FlopsPerImage / 1e9;
                double? peak = PeakGflops(open.Backend);
                rows.Add(new Row(open.Backend.Name, config.Name, median, timed[0], timed[^1], imagesPerSecond, gflops, peak,
                    peak is { } p ? gflops / p : null, result.LaunchesPerStep, open.Backend.PeakAllocatedBytes, null,
                    result.Test.Accuracy, epochs, open.Backend.Description));
            }
        }
        rows = rows.Select(r => r with
        {
            SpeedupVsCpu = rows.FirstOrDefault(c => c.Config == r.Config && c.Device == "cpu") is { } cpu
                ? r.ImagesPerSecond / cpu.ImagesPerSecond : null,
        }).ToList();
        if (verb.Json)
        {
            foreach (var row in rows) report.Object(row);
            return ExitCodes.Success;
        }
        stdout.WriteLine("config   device      median s    min s    max s     images/s   GFLOP/s  peak GFLOP/s  % peak  launches/step  peak MiB  vs cpu  test acc");
        foreach (var r in rows)
            stdout.WriteLine($"{r.Config,-8} {r.Device,-10} {r.MedianEpochSeconds,9:0.000} {r.MinEpochSeconds,8:0.000} {r.MaxEpochSeconds,8:0.000} " +
                             $"{r.ImagesPerSecond,12:N0} {r.GflopsPerSecond,9:0.0} {(r.PeakGflopsPerSecond is { } p ? p.ToString("0") : "?"),13} " +
                             $"{(r.FractionOfPeak is { } f ? f.ToString("0%") : "?"),7} {r.LaunchesPerStep,14:0.0} {r.PeakDeviceBytes / 1048576.0,9:0.0} " +
                             $"{(r.SpeedupVsCpu is { } s ? s.ToString("0.00") + "×" : "-"),7} {r.TestAccuracy,9:0.00%}");
        foreach (var d in rows.Select(r => (r.Device, r.Description)).Distinct())
            stdout.WriteLine($"{d.Device}: {d.Description}");
        return ExitCodes.Success;
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

    private IReadOnlyList<string> Devices()
    {
        if (verb.Devices is { } list)
            return list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // The CPU and every available GPU (never ilgpu-cpu or reference: they are for checking, not speed).
        return ["cpu", .. BackendCatalog.List().Where(d => d.Available && d.IsGpu).Select(d => d.Name)];
    }

    private IReadOnlyList<BenchConfig> Configs()
    {
        var names = (verb.Config ?? "small,large,nielsen").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return names.Select(n => BenchConfig.All.FirstOrDefault(c => c.Name == n.ToLowerInvariant())
            ?? throw new UsageException($"--config: unknown configuration '{n}'; use {string.Join(", ", BenchConfig.All.Select(c => c.Name))}")).ToList();
    }

    private static double? PeakGflops(IBackend backend) => BackendCatalog.PeakGflops(backend);
}
