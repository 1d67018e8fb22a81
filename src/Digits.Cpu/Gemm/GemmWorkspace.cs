using System.Runtime.CompilerServices;

namespace Digits.Cpu.Gemm;

/// <summary>
/// One thread's pack buffers for the blocked GEMM: the packed block of A (MC×KC), of B (KC×NC) and a scratch
/// tile for partial tiles. Arrays on the pinned object heap (they never move, so raw pointers into them stay
/// valid), 64-byte aligned, allocated on first use and regrown only when a larger block appears — so a
/// training loop allocates them in its first step and never again.
/// </summary>
internal sealed unsafe class GemmWorkspace
{
    private const int Align = 16; // floats: 64 bytes
    private float[] _a = [], _b = [], _tile = [];

    /// <summary>Packed A block, ≥ the floats last asked of <see cref="Ensure"/>.</summary>
    public float* A { get; private set; }

    /// <summary>Packed B block.</summary>
    public float* B { get; private set; }

    /// <summary>Scratch for one MR×NR tile.</summary>
    public float* Tile { get; private set; }

    /// <summary>Bytes held, for diagnostics.</summary>
    public long Bytes => ((long)_a.Length + _b.Length + _tile.Length) * sizeof(float);

    /// <summary>Grows the buffers to hold at least the given numbers of floats.</summary>
    public void Ensure(long aFloats, long bFloats, int tileFloats)
    {
        if (aFloats > _a.Length - Align) A = Grow(ref _a, aFloats);
        if (bFloats > _b.Length - Align) B = Grow(ref _b, bFloats);
        if (tileFloats > _tile.Length - Align) Tile = Grow(ref _tile, tileFloats);
    }

    internal static float* Grow(ref float[] array, long floats)
    {
        // 16 floats of slack at the end too, for vector stores that run past a narrow panel's last row.
        array = GC.AllocateUninitializedArray<float>(checked((int)(floats + 2 * Align)), pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref array[0]);
        return (float*)((address + 63) & ~(nint)63);
    }
}
