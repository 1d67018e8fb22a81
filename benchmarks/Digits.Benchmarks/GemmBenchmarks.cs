using BenchmarkDotNet.Attributes;
using Digits.Core.Backends;
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

    /// <summary>The three ops at 1024³, then each configuration's (<see cref="StepConfig.All"/>) step GEMMs
    /// (<see cref="DenseGemm.OfStep"/>), each layer's in <see cref="GemmOp"/>'s order.</summary>
    public static IReadOnlyList<DenseGemm> Shapes { get; } =
    [
        .. Enum.GetValues<GemmOp>().Select(op => new DenseGemm("square", op, 1024, 1024, 1024)),
        .. StepConfig.All.SelectMany(c => DenseGemm.OfStep(c.Name, c.Widths, c.Batch)
            .OrderBy(g => g.Layer).ThenBy(g => g.Op)),
    ];

    [ParamsSource(nameof(Shapes))]
    public DenseGemm Shape { get; set; } = Shapes[0];

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
