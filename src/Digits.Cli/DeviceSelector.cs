using System.Globalization;
using Digits.Cli.Verbs;
using Digits.Core.Backends;
using Digits.Cpu;
using Digits.Gpu;
using Digits.Gpu.Cuda;
using Digits.Gpu.OpenCl;

namespace Digits.Cli;

/// <summary>A backend opened for a command, with the sentence that says which device it is and why.</summary>
internal sealed class OpenDevice(IBackend backend, string explanation) : IDisposable
{
    public IBackend Backend { get; } = backend;
    public string Explanation { get; } = explanation;
    public void Dispose() => Backend.Dispose();
}

/// <summary>
/// Parses <c>--device auto|cpu|opencl[:N]|cuda[:N]</c> and opens the backend. <c>auto</c> tries CUDA, then an
/// OpenCL GPU, then the CPU, and says why each one before the chosen device was passed over. An explicitly
/// requested device that is not there is a <see cref="UsageException"/> (exit code 2) carrying the reason; it
/// never silently falls back.
/// </summary>
internal static class DeviceSelector
{
    public const string Syntax = "auto, cpu, opencl[:N] or cuda[:N]";

    public static OpenDevice Open(string? device, int? threads)
    {
        string text = (device ?? "auto").Trim().ToLowerInvariant();
        if (threads is < 0) throw new UsageException($"--threads must be ≥ 0, got {threads}");
        var (kind, index) = Parse(text);
        switch (kind)
        {
            case "cpu":
                return OpenCpu(threads ?? 0, "chosen by --device cpu");
            case "reference":
                return new OpenDevice(new ReferenceBackend(), "reference (plain loops; for checking, not speed)");
            case "opencl":
                if (OpenClBackend.TryCreate(index, out var cl, out string clReason))
                    return new OpenDevice(cl, $"{cl.Description} — chosen by --device {text}");
                throw new UsageException($"--device {text}: {clReason}");
            case "cuda":
                if (CudaBackend.TryCreate(index, out var cuda, out string cudaReason))
                    return new OpenDevice(cuda, $"{cuda.Description} — chosen by --device {text}");
                throw new UsageException($"--device {text}: {cudaReason}");
            default:
                return Auto(threads ?? 0);
        }
    }

    /// <summary>True for failures of a device while it runs (native errors, out of device memory).</summary>
    public static bool IsDeviceFailure(Exception e) => e is GpuException or Core.Backends.DeviceMemoryException;

    private static OpenDevice Auto(int threads)
    {
        var passed = new List<string>();
        if (CudaBackend.TryCreate(0, out var cuda, out string cudaReason))
            return new OpenDevice(cuda, $"{cuda.Description} — chosen by --device auto (CUDA comes first)");
        passed.Add($"cuda: {cudaReason}");
        var cl = OpenClBackend.ListDevices();
        var gpu = cl.Devices.FirstOrDefault(d => d.Type.Contains("GPU", StringComparison.OrdinalIgnoreCase));
        string gpuReason = "";
        if (gpu is not null && OpenClBackend.TryCreate(gpu.Index, out var clGpu, out gpuReason))
            return new OpenDevice(clGpu, $"{clGpu.Description} — chosen by --device auto (no CUDA: {cudaReason})");
        passed.Add(gpu is null ? $"opencl: {cl.Reason ?? "no OpenCL GPU (only CPU devices, which the cpu backend beats)"}"
            : $"opencl: {gpu.Name}: {gpuReason}");
        return OpenCpu(threads, $"chosen by --device auto; passed over {string.Join("; ", passed)}");
    }

    private static OpenDevice OpenCpu(int threads, string why)
    {
        var cpu = new CpuBackend(threads);
        return new OpenDevice(cpu, $"{cpu.Description} — {why}");
    }

    private static (string Kind, int Index) Parse(string text)
    {
        string[] parts = text.Split(':');
        string kind = parts[0];
        if (kind is not ("auto" or "cpu" or "opencl" or "cuda" or "reference") || parts.Length > 2 ||
            (parts.Length == 2 && kind is not ("opencl" or "cuda")))
            throw new UsageException($"--device: '{text}' is not a device; use {Syntax}");
        int index = 0;
        if (parts.Length == 2 && (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out index)))
            throw new UsageException($"--device: '{parts[1]}' in '{text}' is not a device number");
        return (kind, index);
    }
}
