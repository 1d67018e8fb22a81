using Digits.Core.Backends;
using Digits.Cpu;
using Digits.Gpu;

namespace Digits.Cli;

/// <summary>
/// The one list of backends, used by device selection, <c>digits devices</c>, <c>check</c>, <c>bench</c> and the
/// tests: <c>cpu</c> (the SIMD backend), <c>reference</c> (the oracle), and what ILGPU finds
/// (<see cref="IlgpuDevices"/>: <c>cuda:N</c>, <c>opencl:N</c>, <c>ilgpu-cpu</c>), each with why it is or is not
/// available. A listed name opens through <see cref="Digits.Api.DeviceName"/>.
/// </summary>
internal static class BackendCatalog
{
    /// <summary>Every backend, CPU first, then ILGPU's devices in their order (GPUs before <c>ilgpu-cpu</c>).</summary>
    public static IReadOnlyList<BackendInfo> List()
    {
        string cpu;
        double cpuPeak;
        using (var backend = new CpuBackend())
            (cpu, cpuPeak) = (backend.Description, backend.PeakGflops);
        var list = new List<BackendInfo>
        {
            new("cpu", "cpu", cpu, true, "", false, cpuPeak, FmaPeak.Measured.Method),
            new("reference", "reference", "plain C# loops, double accumulation, one thread (the oracle; slow)", true, "",
                false, null),
        };
        foreach (var d in IlgpuDevices.List())
            list.Add(new BackendInfo(d.Name, d.Kind switch
            {
                GpuKind.Cuda => "cuda",
                GpuKind.OpenCl => "opencl",
                _ => "ilgpu-cpu",
            }, d.Hardware, d.Available, d.Reason, d.IsGpu, d.PeakGflops, d.PeakSource));
        return list;
    }

    /// <summary>How <see cref="PeakGflops"/> was found, in words (measured on the CPU, computed on a GPU), where
    /// known.</summary>
    public static string? PeakSource(IBackend backend) => backend switch
    {
        CpuBackend => FmaPeak.Measured.Method,
        IlgpuBackend gpu => gpu.Device.PeakSource,
        _ => null,
    };

    /// <summary>The backend's FP32 FMA peak in GFLOP/s, where known.</summary>
    public static double? PeakGflops(IBackend backend) => backend switch
    {
        CpuBackend cpu => cpu.PeakGflops,
        IlgpuBackend gpu => gpu.Device.PeakGflops,
        _ => null,
    };
}
