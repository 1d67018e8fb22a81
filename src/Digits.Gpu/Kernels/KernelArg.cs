using System.Runtime.InteropServices;

namespace Digits.Gpu.Kernels;

/// <summary>
/// One kernel argument as the native launch APIs take it: its bytes (little-endian, in the low bytes of
/// <see cref="Value"/>, which is the first field so a pointer to the struct is a pointer to the value)
/// and their size. Built on the stack per launch: no allocation.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct KernelArg
{
    public readonly ulong Value;
    public readonly int Size;

    private KernelArg(ulong value, int size)
    {
        Value = value;
        Size = size;
    }

    /// <summary>A device pointer (CUDA) or memory object handle (OpenCL).</summary>
    public static KernelArg Pointer(ulong address) => new(address, nint.Size);

    public static KernelArg Int(int value) => new((uint)value, sizeof(int));

    public static KernelArg UInt(uint value) => new(value, sizeof(uint));

    public static KernelArg Float(float value) => new(BitConverter.SingleToUInt32Bits(value), sizeof(float));
}

/// <summary>A launch's geometry: <see cref="GroupsX"/> × <see cref="GroupsY"/> work-groups (CUDA blocks)
/// of <see cref="LocalX"/> × <see cref="LocalY"/> threads.</summary>
internal readonly record struct LaunchShape(int GroupsX, int GroupsY, int LocalX, int LocalY)
{
    /// <summary>One thread per item, <paramref name="groupSize"/> per group, rounded up.</summary>
    /// <exception cref="ArgumentOutOfRangeException">more groups than an int can count.</exception>
    public static LaunchShape Linear(long items, int groupSize)
    {
        long groups = (items + groupSize - 1) / groupSize;
        if (groups > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(items), items, "too many threads for one launch");
        return new LaunchShape((int)Math.Max(groups, 1), 1, groupSize, 1);
    }

    /// <summary>Threads in all.</summary>
    public long Threads => (long)GroupsX * GroupsY * LocalX * LocalY;
}
