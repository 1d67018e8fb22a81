using BenchmarkDotNet.Attributes;
using Digits.Cpu;

namespace Digits.Benchmarks;

/// <summary>A whole training step (every op) per configuration on all cores; GFLOP/s counts the GEMMs' flops.</summary>
[Config(typeof(GflopsConfig))]
public class TrainingStepBenchmarks
{
    private CpuBackend? _backend;
    private TrainingStepRunner? _runner;

    public static IEnumerable<StepConfig> Configs => StepConfig.All;

    [ParamsSource(nameof(Configs))]
    public StepConfig Config { get; set; } = StepConfig.All[0];

    [GlobalSetup]
    public void Setup()
    {
        _backend = new CpuBackend();
        foreach (var op in Enum.GetValues<GemmOp>()) GemmRunner.CheckAgainstReference(_backend, op);
        _runner = new TrainingStepRunner(_backend, Config);
    }

    [Benchmark]
    public void Step() => _runner!.Step();

    [GlobalCleanup]
    public void Cleanup()
    {
        _runner?.Dispose();
        _backend?.Dispose();
    }
}
