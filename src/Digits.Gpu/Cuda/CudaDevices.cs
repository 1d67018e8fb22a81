using System.Text;
using static Digits.Gpu.Cuda.CudaNative;

namespace Digits.Gpu.Cuda;

/// <summary>
/// One CUDA device as <c>digits devices</c> lists it. <see cref="Index"/> is N in <c>cuda:N</c> (the driver's
/// ordinal). <see cref="PeakGflops"/> is the FP32 peak, multiprocessors × FP32 lanes per multiprocessor (from
/// the compute capability) × 2 (fused multiply-add) × clock, where the lanes and clock are known; else null.
/// <see cref="DriverVersion"/> is as <c>cuDriverGetVersion</c> gives it (13000 for 13.0).
/// </summary>
public sealed record CudaDeviceInfo(int Index, string Name, int ComputeCapabilityMajor, int ComputeCapabilityMinor,
    long MemoryBytes, int MultiprocessorCount, int ClockKHz, int DriverVersion, double? PeakGflops)
{
    /// <summary>"9.0".</summary>
    public string ComputeCapability => $"{ComputeCapabilityMajor}.{ComputeCapabilityMinor}";

    /// <summary>"13.0".</summary>
    public string DriverVersionText => $"{DriverVersion / 1000}.{DriverVersion % 1000 / 10}";

    public override string ToString() =>
        $"cuda:{Index}  {Name}: compute capability {ComputeCapability}, {MultiprocessorCount} SMs, " +
        $"{MemoryBytes / (1024.0 * 1024 * 1024):0.0} GiB, driver {DriverVersionText}" +
        (PeakGflops is { } peak ? $", ~{peak:0} GFLOP/s FP32 peak" : "");
}

/// <summary>Initializes the driver and lists its devices, turning every kind of absence into a reason.</summary>
internal static unsafe class CudaDevices
{
    /// <summary>The devices, or the reason there are none ("libcuda.so.1 not found", "no CUDA device", …).</summary>
    public static DeviceList<CudaDeviceInfo> List()
    {
        try
        {
            if (!NativeLibraries.TryLoad(NativeLibraries.Cuda, out _))
                return DeviceList<CudaDeviceInfo>.None($"{NativeLibraries.DisplayName(NativeLibraries.Cuda)} not found");
            int result = cuInit(0);
            if (result == ErrorNoDevice) return DeviceList<CudaDeviceInfo>.None("no CUDA device");
            if (result != Success)
            {
                var (name, description) = CudaNative.Describe(result);
                return DeviceList<CudaDeviceInfo>.None($"the CUDA driver did not start: cuInit gave {name} ({description})");
            }
            ThrowIfFailed(cuDriverGetVersion(out int driver));
            ThrowIfFailed(cuDeviceGetCount(out int count));
            if (count == 0) return DeviceList<CudaDeviceInfo>.None("no CUDA device");
            var devices = new List<CudaDeviceInfo>();
            for (int k = 0; k < count; k++) devices.Add(Describe(k, driver));
            return new DeviceList<CudaDeviceInfo>(devices, null);
        }
        catch (DllNotFoundException e)
        {
            return DeviceList<CudaDeviceInfo>.None($"{NativeLibraries.DisplayName(NativeLibraries.Cuda)} not found ({e.Message})");
        }
        catch (Exception e) when (e is EntryPointNotFoundException or GpuException)
        {
            return DeviceList<CudaDeviceInfo>.None($"CUDA driver unusable: {e.Message}");
        }
    }

    private static CudaDeviceInfo Describe(int ordinal, int driver)
    {
        ThrowIfFailed(cuDeviceGet(out int device, ordinal));
        byte* name = stackalloc byte[256];
        ThrowIfFailed(cuDeviceGetName(name, 256, device));
        int major = Attribute(device, AttributeComputeCapabilityMajor);
        int minor = Attribute(device, AttributeComputeCapabilityMinor);
        int sms = Attribute(device, AttributeMultiprocessorCount);
        // The clock attribute is deprecated in recent drivers; a failure reads as unknown.
        int clock = cuDeviceGetAttribute(out int c, AttributeClockRate, device) == Success ? c : 0;
        ThrowIfFailed(cuDeviceTotalMem_v2(out nuint memory, device));
        double? peak = LanesPerMultiprocessor(major, minor) is { } lanes && clock > 0
            ? sms * (double)lanes * 2 * clock / 1e6
            : null;
        return new CudaDeviceInfo(ordinal, Encoding.UTF8.GetString(new ReadOnlySpan<byte>(name, 256)).TrimEnd('\0')
                .Split('\0')[0], major, minor, (long)memory, sms, clock, driver, peak);
    }

    /// <summary>A device attribute that must exist.</summary>
    public static int Attribute(int device, int attribute)
    {
        ThrowIfFailed(cuDeviceGetAttribute(out int value, attribute, device));
        return value;
    }

    /// <summary>FP32 lanes per multiprocessor (CUDA C Programming Guide, "Arithmetic Instructions").</summary>
    private static int? LanesPerMultiprocessor(int major, int minor) => (major, minor) switch
    {
        (3, _) => 192,
        (5, _) => 128,
        (6, 0) => 64,
        (6, _) => 128,
        (7, _) => 64,
        (8, 0) => 64,
        (8, _) => 128,
        (9, 0) => 128,
        (10, _) or (11, _) or (12, _) => 128,
        _ => null,
    };
}
