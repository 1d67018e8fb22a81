using System.Runtime.CompilerServices;

namespace Digits.Core.Backends;

/// <summary>Four 32-bit words: one Philox block (a counter, a key's use, or an output).</summary>
public struct UInt4
{
    public uint X, Y, Z, W;

    public UInt4(uint x, uint y, uint z, uint w)
    {
        X = x;
        Y = y;
        Z = z;
        W = w;
    }

    /// <summary>Word <paramref name="i"/> &amp; 3 (0 → X … 3 → W).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly uint Word(int i) => (i & 3) switch { 0 => X, 1 => Y, 2 => Z, _ => W };
}

/// <summary>
/// Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror &amp; Shaw, "Parallel random numbers: as easy
/// as 1, 2, 3" (SC 2011) — the one cuRAND and PyTorch use. A block of four random words is a pure function of a
/// 128-bit counter and a 64-bit key, so every backend (the reference, the SIMD CPU backend, each ILGPU kernel
/// thread) draws the same numbers for the same (key, counter) without sharing state, in any order. Digits keys it
/// by the run's seed and puts (element block, step, stream, purpose) in the counter (see
/// <see cref="DropoutParameters"/> and <see cref="AugmentParameters"/>).
/// <para>Scalar code only (no arrays, no allocation): the ILGPU kernels call it as it is.</para>
/// </summary>
public static class Philox
{
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>Counter word 3 for dropout masks.</summary>
    public const uint PurposeDropout = 0x44524F50; // "DROP"

    /// <summary>Counter word 3 for the per-image affine draws of augmentation.</summary>
    public const uint PurposeAffine = 0x4146464E; // "AFFN"

    /// <summary>Counter word 3 for the elastic displacement fields of augmentation.</summary>
    public const uint PurposeElastic = 0x454C4153; // "ELAS"

    /// <summary>Ten rounds of Philox4x32 on counter (c0, c1, c2, c3) with key (k0, k1); the Random123 known-answer
    /// vectors hold (see PhiloxTests).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static UInt4 Block(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (int round = 0; round < 10; round++)
        {
            if (round > 0)
            {
                k0 += W0;
                k1 += W1;
            }
            ulong p0 = (ulong)M0 * c0, p1 = (ulong)M1 * c2;
            uint hi0 = (uint)(p0 >> 32), lo0 = (uint)p0, hi1 = (uint)(p1 >> 32), lo1 = (uint)p1;
            uint n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
            c0 = n0;
            c1 = lo1;
            c2 = n2;
            c3 = lo0;
        }
        return new UInt4(c0, c1, c2, c3);
    }

    /// <summary>The key's low word for a 64-bit seed.</summary>
    public static uint KeyLow(ulong seed) => (uint)seed;

    /// <summary>The key's high word for a 64-bit seed.</summary>
    public static uint KeyHigh(ulong seed) => (uint)(seed >> 32);

    /// <summary>A word as a float in [0, 1): its top 24 bits × 2⁻²⁴ (exact in float, the same everywhere).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Unit(uint word) => (word >> 8) * (1f / 16777216f);
}
