using Digits.Core.Backends;

namespace Digits.Cpu;

/// <summary>A <see cref="DeviceBuffer{T}"/> in managed memory: the "device" of the CPU backends.</summary>
public sealed class HostBuffer<T> : DeviceBuffer<T> where T : unmanaged
{
    internal HostBuffer(IBackend owner, int length) : base(owner, length) => Array = new T[length];

    /// <summary>The elements.</summary>
    internal T[] Array { get; private set; }

    protected override void Release() => Array = [];
}

/// <summary>Span access to views over <see cref="HostBuffer{T}"/>.</summary>
internal static class HostViews
{
    public static Span<T> Span<T>(this BufferView<T> view) where T : unmanaged =>
        ((HostBuffer<T>)view.Buffer).Array.AsSpan(view.Offset, view.Length);

    public static T[] Array<T>(this BufferView<T> view) where T : unmanaged => ((HostBuffer<T>)view.Buffer).Array;
}
