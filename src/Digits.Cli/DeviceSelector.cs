using Digits.Api;
using Digits.Cli.Verbs;
using Digits.Core.Backends;
using Digits.Gpu;

namespace Digits.Cli;

/// <summary>
/// Reads <c>--device auto|cpu|cuda[:N]|opencl[:N]|ilgpu-cpu|reference</c> (parsed by <see cref="DeviceName"/>, the
/// one parser of device names) and opens the backend. <c>auto</c> takes the first CUDA device, else the first OpenCL
/// GPU ILGPU can use, else the CPU, and says why each one before the chosen device was passed over; it never takes
/// <c>ilgpu-cpu</c> (the GPU kernels simulated on the CPU: for checking, not speed). An explicitly requested device
/// that is not there is a <see cref="UsageException"/> (exit code 2) carrying the reason; it never silently falls
/// back.
/// </summary>
internal static class DeviceSelector
{
    /// <summary>Opens <paramref name="device"/> (null: <c>auto</c>) with <paramref name="threads"/> CPU threads.</summary>
    /// <exception cref="UsageException">not a device name, a negative thread count, or a device that is not here.</exception>
    public static OpenDevice Open(string? device, int? threads)
    {
        if (threads is < 0) throw new UsageException($"--threads must be ≥ 0, got {threads}");
        var name = Parse(device ?? "auto");
        if (name.IsAuto) return Auto(threads ?? 0);
        if (!name.TryOpen(threads ?? 0, out var backend, out string reason))
            throw new UsageException($"--device {name}: {reason}; `digits devices` lists what this machine has, " +
                                     "and --device cpu runs on the CPU");
        return new OpenDevice(backend!, $"{backend!.Description} — chosen by --device {name}");
    }

    /// <summary>True for failures of a device while it runs (native errors, out of device memory).</summary>
    public static bool IsDeviceFailure(Exception e) => e is GpuException or DeviceMemoryException;

    /// <summary>The device <c>auto</c> picks from <paramref name="devices"/>, with the reasons the ones before it
    /// were passed over: a CUDA device, else an OpenCL GPU, else cpu; never ilgpu-cpu or reference.</summary>
    internal static (string Device, string Why) Choose(IReadOnlyList<BackendInfo> devices)
    {
        var passed = new List<string>();
        foreach (string kind in new[] { "cuda", "opencl" })
        {
            var candidates = devices.Where(d => d.Kind == kind).ToArray();
            var usable = candidates.FirstOrDefault(d => d.Available && d.IsGpu);
            if (usable is not null)
                return (usable.Name, $"chosen by --device auto ({(passed.Count == 0 ? "CUDA comes first" : string.Join("; ", passed))})");
            passed.AddRange(candidates.Length == 0 ? [$"{kind}: none found"]
                : candidates.Select(d => $"{d.Name}: {(d.Available ? "not a GPU (the cpu backend is faster)" : d.Reason)}"));
        }
        return ("cpu", $"chosen by --device auto; passed over {string.Join("; ", passed)}");
    }

    private static OpenDevice Auto(int threads)
    {
        var (device, why) = Choose(BackendCatalog.List());
        if (!DeviceName.Parse(device).TryOpen(threads, out var backend, out string reason))
            throw new UsageException($"--device auto: {device} could not be opened: {reason}");
        return new OpenDevice(backend!, $"{backend!.Description} — {why}");
    }

    private static DeviceName Parse(string text)
    {
        try
        {
            return DeviceName.Parse(text, allowAuto: true);
        }
        catch (FormatException e)
        {
            throw new UsageException($"--device: {e.Message}");
        }
    }
}
