using Digits.Core.Backends;
using ILGPU;
using ILGPU.Runtime;

namespace Digits.Gpu;

/// <summary>A <see cref="DeviceBuffer{T}"/> over one ILGPU <see cref="MemoryBuffer1D{T, TStride}"/> (at least one
/// element, so a zero-length buffer still has a valid view).</summary>
internal sealed class IlgpuBuffer<T> : DeviceBuffer<T> where T : unmanaged
{
    public IlgpuBuffer(IlgpuBackend owner, int length, MemoryBuffer1D<T, Stride1D.Dense> memory) : base(owner, length) =>
        Memory = memory;

    public MemoryBuffer1D<T, Stride1D.Dense> Memory { get; }

    /// <summary>The elements [offset, offset + length) as a kernel argument.</summary>
    public ArrayView<T> Kernel(int offset, int length) => Memory.View.SubView(offset, length);

    protected override void Release() => ((IlgpuBackend)Owner).Free(this, Memory);
}
