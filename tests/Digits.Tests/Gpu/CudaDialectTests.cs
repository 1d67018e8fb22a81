using System.Diagnostics;
using Digits.Gpu.Kernels;
using Xunit;

namespace Digits.Tests.Gpu;

/// <summary>
/// The CUDA dialect of the kernel source type-checked without NVRTC or a GPU: the source exactly as the CUDA
/// backend composes it, compiled by g++ as C++ with host stand-ins for what NVRTC declares implicitly
/// (<c>tests/cuda-dialect/nvrtc_stubs.h</c>: <c>threadIdx</c>, <c>__syncthreads</c>, <c>float4</c>, …). It catches
/// what would only show as a <c>KernelCompilationException</c> on a CUDA machine: a macro that expands to
/// something C++ rejects, a type mismatch, an OpenCL-only construct. Skips where there is no g++;
/// <c>tests/cuda-dialect/run.sh</c> goes further and runs the GEMM kernels.
/// </summary>
public sealed class CudaDialectTests
{
    [Theory]
    [InlineData(16)]
    [InlineData(8)]
    public async Task The_CUDA_source_compiles_as_cpp_with_stand_ins_for_nvrtc(int gemmThreads)
    {
        string? compiler = Environment.GetEnvironmentVariable("PATH")?.Split(Path.PathSeparator)
            .Select(folder => Path.Combine(folder, "g++")).FirstOrDefault(File.Exists);
        if (compiler is null) Assert.Skip("g++ not found on PATH");
        string stubs = Path.Combine(AppContext.BaseDirectory, "cuda-dialect", "nvrtc_stubs.h");
        string source = Path.Combine(Path.GetTempPath(), $"digits-cuda-dialect-{Environment.ProcessId}-{gemmThreads}.cu");
        await File.WriteAllTextAsync(source, KernelSource.Compose(Dialect.Cuda), TestContext.Current.CancellationToken);
        try
        {
            var start = new ProcessStartInfo(compiler)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            foreach (string arg in new[] { "-x", "c++", "-std=c++20", "-fsyntax-only", "-Wall", "-Wextra", "-Werror",
                         "-Wno-unused-parameter", $"-DWG={gemmThreads * gemmThreads}", $"-DGEMM_T={gemmThreads}",
                         "-include", stubs, source })
                start.ArgumentList.Add(arg);
            using var process = Process.Start(start)!;
            var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.True(process.ExitCode == 0, $"g++ rejected the CUDA dialect:\n{await errors}{await output}");
        }
        finally
        {
            File.Delete(source);
        }
    }
}
