namespace Digits.Gpu.OpenCl;

/// <summary>An OpenCL memory object (null for an empty buffer). Kernels get the handle and an element
/// offset, never a sub-buffer (sub-buffer offsets must be aligned to the device's base alignment).</summary>
internal sealed class OpenClBuffer<T> : GpuBuffer<T> where T : unmanaged
{
    private readonly ClMemHandle? _memory;

    public OpenClBuffer(OpenClBackend backend, int length, ClMemHandle? memory) : base(backend, length) =>
        _memory = memory;

    public override ulong Address => _memory is null ? 0 : (ulong)_memory.Raw;

    /// <summary>The raw <c>cl_mem</c>, 0 when empty.</summary>
    public nint Memory => _memory?.Raw ?? 0;

    protected override void ReleaseNative() => _memory?.Dispose();
}
