using BenchmarkDotNet.Attributes;
using Digits.Cpu;

namespace Digits.Benchmarks;

/// <summary>
/// The CPU backend's three dense-layer GEMMs at every shape the configurations issue (small, large, nielsen)
/// and at 1024³, on all cores. Each op is checked against the reference (at a small shape) before timing.
/// Run: <c>dotnet run -c Release --project benchmarks/Digits.Benchmarks -- --filter *GemmBenchmarks*</c>.
/// </summary>
[Config(typeof(GflopsConfig))]
public class GemmBenchmarks
{
    private CpuBackend? _backend;
    private GemmRunner? _runner;

    public static IEnumerable<GemmShape> Shapes => GemmShape.All;

    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = GemmShape.All[0];

    [GlobalSetup]
    public void Setup()
    {
        _backend = new CpuBackend();
        GemmRunner.CheckAgainstReference(_backend, Shape.Op);
        _runner = new GemmRunner(_backend, Shape);
    }

    [Benchmark]
    public void Gemm() => _runner!.Run();

    [GlobalCleanup]
    public void Cleanup()
    {
        _runner?.Dispose();
        _backend?.Dispose();
    }
}

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
