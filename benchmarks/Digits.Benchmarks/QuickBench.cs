using System.Diagnostics;
using System.Globalization;
using Digits.Core.Backends;
using Digits.Cpu;
using Digits.Cpu.Gemm;

namespace Digits.Benchmarks;

/// <summary>
/// <c>--quick</c>: GFLOP/s of every GEMM of <see cref="GemmBenchmarks.Shapes"/> in a few seconds, without BenchmarkDotNet's long runs
/// (for iterating on kernels). Each op is checked against the reference first. Options:
/// <c>--threads N</c>, <c>--filter TEXT</c> (substring of the shape's name), <c>--simd avx2|avx512</c>,
/// <c>--blocking MC,KC,NC</c>; and instead of the GEMM table: <c>--steps</c> (whole training steps; add
/// <c>--profile</c> for a per-op breakdown), <c>--ops</c> (the other ops), <c>--pack</c> (packing throughput),
/// <c>--pool</c> (dispatch overhead).
/// </summary>
internal static class QuickBench
{
    public static int Run(string[] args)
    {
        int threads = 0;
        string filter = "";
        var simd = SimdLevel.Auto;
        var blocking = GemmBlocking.Default;
        for (int k = 0; k < args.Length; k++)
        {
            switch (args[k])
            {
                case "--threads": threads = int.Parse(args[++k], CultureInfo.InvariantCulture); break;
                case "--filter": filter = args[++k]; break;
                case "--simd": simd = args[++k] == "avx2" ? SimdLevel.Avx2 : SimdLevel.Avx512; break;
                case "--blocking":
                    int[] b = args[++k].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                    blocking = new GemmBlocking(b[0], b[1], b[2]);
                    break;
            }
        }
        if (args.Contains("--pack")) return PackBench.Run();
        if (args.Contains("--pool")) return PoolBench.Run(threads == 0 ? Environment.ProcessorCount : threads);
        using var backend = new CpuBackend(threads, simd, blocking);
        Console.WriteLine($"{backend.Description}; {CpuInfo.ModelName}; blocking {backend.Gemm.Blocking}");
        int cores = Math.Min(backend.Threads, Environment.ProcessorCount);
        Console.WriteLine($"FMA peak {backend.PeakGflops:F1} GFLOP/s for {cores} thread{(cores == 1 ? "" : "s")} " +
                          $"({backend.Peak.Method}); every % below is of this figure");
        foreach (var op in Enum.GetValues<GemmOp>()) GemmRunner.CheckAgainstReference(backend, op);
        Console.WriteLine("checked against the reference: forward, backward-input, backward-weight");
        Console.WriteLine();
        Console.WriteLine($"{"shape",-44} {"M×N×K",-15} {"best µs",9} {"GFLOP/s",8} {"% peak",6} {"median µs",10} " +
                          $"{"GFLOP/s",8} {"cpu µs",9} {"GFLOP/s",8}");
        if (args.Contains("--steps")) return Steps(backend, filter, args.Contains("--profile"));
        if (args.Contains("--ops")) return OpsBench.Run(backend, filter);
        foreach (var shape in GemmBenchmarks.Shapes.Where(s => s.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)))
        {
            using var runner = new GemmRunner(backend, shape);
            var (best, median, cpu) = Time(runner.Run, shape.Flops);
            double gflops = shape.Flops / best / 1e9;
            Console.WriteLine($"{shape.Name,-44} {$"{shape.M}×{shape.N}×{shape.K}",-15} {best * 1e6,9:F2} {gflops,8:F1} " +
                              $"{100 * gflops / backend.PeakGflops,5:F0}% {median * 1e6,10:F2} " +
                              $"{shape.Flops / median / 1e9,8:F1} {cpu * 1e6,9:F2} {shape.Flops / cpu / 1e9,8:F1}");
        }
        return 0;
    }

    /// <summary><c>--steps</c>: a whole training step per configuration, and the epoch it implies (60 000 images,
    /// kernels only — no trainer, no evaluation).</summary>
    private static int Steps(CpuBackend backend, string filter, bool profile)
    {
        Console.WriteLine($"{"config",-10} {"step best µs",13} {"median µs",10} {"epoch best s",13} {"median s",9} " +
                          $"{"GFLOP/s",8} {"cpu µs",9} {"epoch cpu s",12}");
        foreach (var config in StepConfig.All.Where(c => c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)))
        {
            using var runner = new TrainingStepRunner(backend, config);
            var (best, median, cpu) = Time(runner.Step, config.FlopsPerStep);
            double steps = Math.Ceiling((double)StepConfig.TrainingImages / config.Batch);
            Console.WriteLine($"{config.Name,-10} {best * 1e6,13:F1} {median * 1e6,10:F1} {best * steps,13:F3} " +
                              $"{median * steps,9:F3} {config.FlopsPerStep / best / 1e9,8:F1} {cpu * 1e6,9:F1} " +
                              $"{cpu * steps,12:F3}");
            Console.WriteLine($"    after {runner.Steps} steps: {runner.Health()}");
            if (!profile) continue;
            runner.Profile = [];
            const int profiled = 200;
            for (int k = 0; k < profiled; k++) runner.Step();
            foreach (var (op, seconds) in runner.Profile)
                Console.WriteLine($"    {op,-20} {seconds / profiled * 1e6,9:F1} µs (caller's CPU time)");
        }
        return 0;
    }

    /// <summary>(best, median) wall seconds per call over 31 batches of ~3 ms each, after a 0.3 s warm-up, and
    /// the calling thread's least CPU seconds per call. The best batch is the figure to trust on a shared
    /// machine (other processes only ever make a batch slower); with one thread, the CPU time is better
    /// still.</summary>
    public static (double Best, double Median, double Cpu) Time(Action run, double flops)
    {
        int perBatch = Math.Max(1, (int)(3e-3 / Math.Max(flops / 100e9, 0.3e-6)));
        long warm = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(warm).TotalSeconds < 0.3) run(); // past tiered JIT's promotion
        var samples = new double[31];
        double cpu = double.PositiveInfinity;
        for (int s = 0; s < samples.Length; s++)
        {
            double cpuStart = ThreadClock.Seconds();
            long start = Stopwatch.GetTimestamp();
            for (int k = 0; k < perBatch; k++) run();
            samples[s] = Stopwatch.GetElapsedTime(start).TotalSeconds / perBatch;
            cpu = Math.Min(cpu, (ThreadClock.Seconds() - cpuStart) / perBatch);
        }
        Array.Sort(samples);
        return (samples[0], samples[samples.Length / 2], cpu);
    }
}
