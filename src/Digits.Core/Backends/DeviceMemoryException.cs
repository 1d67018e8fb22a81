namespace Digits.Core.Backends;

/// <summary>
/// A backend could not allocate a buffer: the message gives the bytes asked for, what the backend already holds,
/// and the memory it may use, so a user can see how much smaller the run must be. (GPU backends report their
/// native out-of-memory errors as <c>GpuException</c> with the same figures.)
/// </summary>
public sealed class DeviceMemoryException(string backend, long requestedBytes, long allocatedBytes, long inUseBytes,
    long limitBytes)
    : Exception($"out of memory: a buffer of {requestedBytes:N0} bytes was requested with {allocatedBytes:N0} bytes in " +
                $"{backend} buffers and {inUseBytes:N0} in use in all; {backend} may use {limitBytes:N0} bytes (use a " +
                "smaller TrainingOptions.BatchSize or narrower MlpSpec.Widths)")
{
    public long RequestedBytes { get; } = requestedBytes;
    public long AllocatedBytes { get; } = allocatedBytes;
    public long LimitBytes { get; } = limitBytes;
}
