using System.Text;
using static Digits.Gpu.OpenCl.OpenClNative;

namespace Digits.Gpu.OpenCl;

/// <summary>
/// One OpenCL device as <c>digits devices</c> lists it. <see cref="Index"/> is N in <c>opencl:N</c>.
/// <see cref="PeakGflops"/> is an estimate where one is known (CPU devices: units × clock × native float
/// vector width × 2 for a fused multiply-add), else null.
/// </summary>
public sealed record OpenClDeviceInfo(int Index, string Platform, string Name, string Type, int ComputeUnits,
    int ClockMHz, long GlobalMemoryBytes, long MaxAllocationBytes, string OpenClCVersion, long MaxWorkGroupSize,
    double? PeakGflops)
{
    internal nint DeviceId { get; init; }

    public override string ToString() =>
        $"opencl:{Index}  {Name} ({Type}, {Platform}): {ComputeUnits} compute units at {ClockMHz} MHz, " +
        $"{GlobalMemoryBytes / (1024.0 * 1024 * 1024):0.0} GiB, {OpenClCVersion}, work-groups ≤ {MaxWorkGroupSize}" +
        (PeakGflops is { } peak ? $", ~{peak:0} GFLOP/s peak" : "");
}

/// <summary>
/// Enumerates OpenCL devices in the order <c>opencl:N</c> counts them: every GPU first, then every CPU, then
/// the rest (accelerators, custom devices); within each kind, platforms in the ICD loader's order and
/// devices in their platform's order.
/// </summary>
internal static unsafe class OpenClDevices
{
    public const string NoPlatform = "no OpenCL platform: install an ICD such as pocl-opencl-icd";

    /// <summary>The devices, or the reason there are none. Native library problems become reasons.</summary>
    public static DeviceList<OpenClDeviceInfo> List()
    {
        try
        {
            if (!NativeLibraries.TryLoad(NativeLibraries.OpenCl, out _))
                return DeviceList<OpenClDeviceInfo>.None(
                    $"{NativeLibraries.DisplayName(NativeLibraries.OpenCl)} not found: install an OpenCL ICD " +
                    "loader (ocl-icd-libopencl1) and an ICD such as pocl-opencl-icd");
            return Enumerate();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or GpuException)
        {
            return DeviceList<OpenClDeviceInfo>.None($"OpenCL unusable: {e.Message}");
        }
    }

    private static DeviceList<OpenClDeviceInfo> Enumerate()
    {
        int result = clGetPlatformIDs(0, null, out uint platformCount);
        if (result == PlatformNotFoundKhr || (result == Success && platformCount == 0))
            return DeviceList<OpenClDeviceInfo>.None(NoPlatform);
        ThrowIfFailed(result);
        var platforms = new nint[platformCount];
        fixed (nint* p = platforms) ThrowIfFailed(clGetPlatformIDs(platformCount, p, out _));

        var found = new List<(int Rank, string Platform, nint Device)>();
        foreach (nint platform in platforms)
        {
            string platformName = PlatformString(platform, PlatformName);
            result = clGetDeviceIDs(platform, DeviceTypeAll, 0, null, out uint count);
            if (result == DeviceNotFound || count == 0) continue;
            ThrowIfFailed(result);
            var devices = new nint[count];
            fixed (nint* d = devices) ThrowIfFailed(clGetDeviceIDs(platform, DeviceTypeAll, count, d, out _));
            foreach (nint device in devices)
            {
                ulong type = Scalar<ulong>(device, DeviceType);
                int rank = (type & DeviceTypeGpu) != 0 ? 0 : (type & DeviceTypeCpu) != 0 ? 1 : 2;
                found.Add((rank, platformName, device));
            }
        }
        if (found.Count == 0)
            return DeviceList<OpenClDeviceInfo>.None(
                $"no OpenCL device (platforms: {string.Join(", ", platforms.Select(p => PlatformString(p, PlatformName)))})");
        var ordered = found.OrderBy(f => f.Rank).ToList(); // stable: keeps platform and device order
        return new DeviceList<OpenClDeviceInfo>(ordered.Select((f, k) => Describe(k, f.Platform, f.Device)).ToList(), null);
    }

    private static OpenClDeviceInfo Describe(int index, string platform, nint device)
    {
        ulong type = Scalar<ulong>(device, DeviceType);
        string kind = (type & DeviceTypeGpu) != 0 ? "GPU" : (type & DeviceTypeCpu) != 0 ? "CPU"
            : (type & DeviceTypeAccelerator) != 0 ? "accelerator" : "other";
        int units = (int)Scalar<uint>(device, DeviceMaxComputeUnits);
        int clock = (int)Scalar<uint>(device, DeviceMaxClockFrequency);
        double? peak = kind == "CPU"
            ? units * (double)clock * Scalar<uint>(device, DeviceNativeVectorWidthFloat) * 2 / 1000
            : null;
        return new OpenClDeviceInfo(index, platform, DeviceString(device, DeviceName).Trim(), kind, units, clock,
            (long)Scalar<ulong>(device, DeviceGlobalMemSize), (long)Scalar<ulong>(device, DeviceMaxMemAllocSize),
            DeviceString(device, DeviceOpenClCVersion).Trim(), (long)Scalar<nuint>(device, DeviceMaxWorkGroupSize),
            peak)
        { DeviceId = device };
    }

    /// <summary>A fixed-size device property.</summary>
    public static T Scalar<T>(nint device, uint name) where T : unmanaged
    {
        T value;
        ThrowIfFailed(clGetDeviceInfo(device, name, (nuint)sizeof(T), &value, out _));
        return value;
    }

    /// <summary>The device's maximum work-item count per dimension (CL_DEVICE_MAX_WORK_ITEM_SIZES).</summary>
    public static nuint[] MaxWorkItemSizes(nint device)
    {
        var sizes = new nuint[Scalar<uint>(device, DeviceMaxWorkItemDimensions)];
        fixed (nuint* s = sizes)
            ThrowIfFailed(clGetDeviceInfo(device, DeviceMaxWorkItemSizes, (nuint)(sizes.Length * sizeof(nuint)), s, out _));
        return sizes;
    }

    public static string DeviceString(nint device, uint name)
    {
        ThrowIfFailed(clGetDeviceInfo(device, name, 0, null, out nuint size));
        var bytes = new byte[size];
        fixed (byte* b = bytes) ThrowIfFailed(clGetDeviceInfo(device, name, size, b, out _));
        return Encoding.UTF8.GetString(bytes).TrimEnd('\0');
    }

    private static string PlatformString(nint platform, uint name)
    {
        ThrowIfFailed(clGetPlatformInfo(platform, name, 0, null, out nuint size));
        var bytes = new byte[size];
        fixed (byte* b = bytes) ThrowIfFailed(clGetPlatformInfo(platform, name, size, b, out _));
        return Encoding.UTF8.GetString(bytes).TrimEnd('\0');
    }
}
