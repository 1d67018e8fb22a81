using Digits.Core.Backends;
using Digits.Cpu;
using Digits.Gpu.Cuda;
using Digits.Gpu.OpenCl;

namespace Digits.Tests.Support;

/// <summary>How the tests create each non-reference backend. Each backend adds its line here.</summary>
internal static class TestBackendFactories
{
    public static (IBackend?, string) Create(string device) => device switch
    {
        "cpu" => (new CpuBackend(), ""),
        // Test-only: the 256-bit micro-kernels, whatever the CPU prefers.
        "cpu-avx2" => (new CpuBackend(0, SimdLevel.Avx2), ""),
        "opencl" => OpenClBackend.TryCreate(0, out var openCl, out string openClReason) ? (openCl, "") : (null, openClReason),
        "cuda" => CudaBackend.TryCreate(0, out var cuda, out string cudaReason) ? (cuda, "") : (null, cudaReason),
        _ => (null, $"no backend named '{device}' is built"),
    };
}
