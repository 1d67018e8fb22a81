using Digits.Core.Backends;
using Digits.Cpu;

namespace Digits.Tests.Support;

/// <summary>How the tests create each non-reference backend. Each backend adds its line here.</summary>
internal static class TestBackendFactories
{
    public static (IBackend?, string) Create(string device) => device switch
    {
        "cpu" => (new CpuBackend(), ""),
        // Test-only: the 256-bit micro-kernels, whatever the CPU prefers.
        "cpu-avx2" => (new CpuBackend(0, SimdLevel.Avx2), ""),
        _ => (null, $"no backend named '{device}' is built"),
    };
}
