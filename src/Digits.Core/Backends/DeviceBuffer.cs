using System.Runtime.CompilerServices;

namespace Digits.Core.Backends;

/// <summary>
/// An owning block of device memory holding <see cref="Length"/> elements of <typeparamref name="T"/>
/// (float or int). Created by <see cref="IBackend.Allocate{T}"/>, zero-initialized, freed by
/// <see cref="Dispose"/>. Ops take <see cref="BufferView{T}"/>s over buffers and never dispose them.
/// </summary>
public abstract class DeviceBuffer<T> : IDisposable where T : unmanaged
{
    private int _disposed;

    /// <summary>Creates the bookkeeping for a buffer of <paramref name="length"/> elements.</summary>
    /// <exception cref="ArgumentOutOfRangeException">length is negative.</exception>
    protected DeviceBuffer(IBackend owner, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Owner = owner;
        Length = length;
    }

    /// <summary>The backend whose memory this is; a view may only be passed to this backend's ops.</summary>
    public IBackend Owner { get; }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>Size in bytes.</summary>
    public long SizeInBytes => (long)Length * Unsafe.SizeOf<T>();

    /// <summary>True once <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>A view of the whole buffer.</summary>
    public BufferView<T> View() => new(this, 0, Length);

    /// <summary>A view of <paramref name="length"/> elements from <paramref name="offset"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">the range is not inside the buffer.</exception>
    public BufferView<T> View(int offset, int length) => new(this, offset, length);

    /// <summary>Frees the device memory (once; later calls do nothing).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Release();
        (Owner as BackendBase)?.OnBufferReleased(SizeInBytes);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the native memory; called once.</summary>
    protected abstract void Release();

    public static implicit operator BufferView<T>(DeviceBuffer<T> buffer) => buffer.View();

    public override string ToString() => $"DeviceBuffer<{typeof(T).Name}>[{Length}] on {Owner.Name}";
}
