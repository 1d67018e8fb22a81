namespace Digits.Core.Backends;

/// <summary>
/// A non-owning window (offset and length, in elements) into a <see cref="DeviceBuffer{T}"/>, the way
/// a flat parameter buffer is split into per-layer weights and biases.
/// </summary>
public readonly struct BufferView<T> where T : unmanaged
{
    /// <exception cref="ArgumentOutOfRangeException">the range is not inside the buffer.</exception>
    public BufferView(DeviceBuffer<T> buffer, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (offset < 0 || length < 0 || (long)offset + length > buffer.Length)
            throw new ArgumentOutOfRangeException(nameof(offset),
                $"view [{offset}, {(long)offset + length}) is outside a buffer of {buffer.Length} elements");
        Buffer = buffer;
        Offset = offset;
        Length = length;
    }

    /// <summary>The buffer viewed.</summary>
    public DeviceBuffer<T> Buffer { get; }

    /// <summary>First element, counted from the start of <see cref="Buffer"/>.</summary>
    public int Offset { get; }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>A sub-view, <paramref name="offset"/> relative to this view.</summary>
    public BufferView<T> Slice(int offset, int length)
    {
        if (offset < 0 || length < 0 || (long)offset + length > Length)
            throw new ArgumentOutOfRangeException(nameof(offset),
                $"slice [{offset}, {(long)offset + length}) is outside a view of {Length} elements");
        return new BufferView<T>(Buffer, Offset + offset, length);
    }

    public override string ToString() => $"view[{Offset}..{Offset + Length}) of {Buffer}";
}
