namespace Digits.Gpu;

/// <summary>
/// The devices a backend can use, or why there are none: either <see cref="Devices"/> is non-empty, or
/// <see cref="Reason"/> says what is missing ("libcuda.so.1 not found", "no OpenCL platform: …").
/// </summary>
public sealed record DeviceList<T>(IReadOnlyList<T> Devices, string? Reason)
{
    /// <summary>True when at least one device is listed.</summary>
    public bool IsAvailable => Devices.Count > 0;

    /// <summary>No device, for <paramref name="reason"/>.</summary>
    public static DeviceList<T> None(string reason) => new([], reason);
}
