using Digits.Core.Backends;

namespace Digits.Gpu;

/// <summary>
/// Device memory owned by a <see cref="GpuBackend"/>: a CUDA device pointer or an OpenCL memory object.
/// The backend keeps a list of its live buffers so that disposing the backend frees what its users
/// forgot (see <see cref="GpuBackend"/>).
/// </summary>
internal abstract class GpuBuffer<T> : DeviceBuffer<T>, IGpuBuffer where T : unmanaged
{
    private readonly GpuBackend _backend;

    protected GpuBuffer(GpuBackend backend, int length) : base(backend, length) => _backend = backend;

    /// <summary>What a kernel argument carries for this buffer: the device address (CUDA) or the
    /// <c>cl_mem</c> handle (OpenCL); 0 for an empty buffer, which holds no native memory.</summary>
    public abstract ulong Address { get; }

    void IGpuBuffer.Free() => Dispose();

    protected sealed override void Release()
    {
        try
        {
            ReleaseNative();
        }
        finally
        {
            _backend.Forget(this);
        }
    }

    /// <summary>Frees the native memory. Must not throw: a free that fails after a device fault is
    /// abandoned (there is nothing left to recover).</summary>
    protected abstract void ReleaseNative();
}

/// <summary>The non-generic face of <see cref="GpuBuffer{T}"/> the backend's list holds.</summary>
internal interface IGpuBuffer
{
    void Free();
}
