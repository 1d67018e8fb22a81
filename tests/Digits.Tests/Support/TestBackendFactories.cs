using Digits.Core.Backends;
using Digits.Cpu;
using Digits.Gpu;

namespace Digits.Tests.Support;

/// <summary>How the tests create each non-reference backend: the CPU backends directly, every ILGPU device
/// (<c>ilgpu-cpu</c>, <c>cuda</c>, <c>opencl</c>) through <see cref="IlgpuDevices"/>, as the CLI does, so a missing
/// device skips with the very reason <c>digits devices</c> prints.</summary>
internal static class TestBackendFactories
{
    public static (IBackend?, string) Create(string device) => device switch
    {
        "cpu" => (new CpuBackend(), ""),
        // Test-only: the 256-bit micro-kernels, whatever the CPU prefers.
        "cpu-avx2" => (new CpuBackend(0, SimdLevel.Avx2), ""),
        "ilgpu-cpu" or "cuda" or "opencl" => IlgpuDevices.TryCreate(device == "opencl" ? FirstOpenCl() : device,
            out var gpu, out string reason) ? (gpu, "") : (null, reason),
        _ => (null, $"no backend named '{device}' is built"),
    };

    /// <summary>The first OpenCL device ILGPU can use, else the first listed (whose reason the skip then gives).</summary>
    private static string FirstOpenCl()
    {
        var cl = IlgpuDevices.List().Where(d => d.Kind == GpuKind.OpenCl).ToArray();
        return (cl.FirstOrDefault(d => d.Available) ?? cl.FirstOrDefault())?.Name ?? "opencl";
    }
}
