using BenchmarkDotNet.Running;

namespace Digits.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/Digits.Benchmarks -- --quick</c> prints GFLOP/s per shape in
/// seconds; <c>--cublas</c> times our GPU GEMMs against cuBLAS (<see cref="GpuGemmBench"/>); any other arguments go
/// to BenchmarkDotNet (e.g. <c>--filter *Gemm*</c>).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Contains("--quick")) return QuickBench.Run(args);
        if (args.Contains("--cublas")) return GpuGemmBench.Run(args);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
