using BenchmarkDotNet.Running;

namespace Digits.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/Digits.Benchmarks -- --quick</c> prints GFLOP/s per shape in
/// seconds; any other arguments go to BenchmarkDotNet (e.g. <c>--filter *Gemm*</c>). The GPU GEMMs against cuBLAS are
/// <c>digits bench --gemm</c>, in the CLI, so that the yardstick travels with it to a lent GPU.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Contains("--quick")) return QuickBench.Run(args);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
