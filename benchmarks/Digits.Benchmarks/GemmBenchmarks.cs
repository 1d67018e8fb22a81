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
