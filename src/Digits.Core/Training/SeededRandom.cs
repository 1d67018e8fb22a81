using System.Numerics;

namespace Digits.Core.Training;

/// <summary>
/// The project's one seeded generator: xoshiro256** (Blackman &amp; Vigna, "Scrambled linear pseudorandom
/// number generators", 2021) seeded through SplitMix64. Ours rather than <see cref="System.Random"/> so the
/// sequence is fixed by this file alone (same seed → same shuffles and weights on every .NET version) and
/// its state can be saved and restored (<see cref="State"/>).
/// </summary>
public sealed class SeededRandom
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>A generator whose whole sequence is determined by <paramref name="seed"/>.</summary>
    public SeededRandom(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>The four state words, for checkpoints; <see cref="FromState"/> restores them.</summary>
    public ulong[] State => [_s0, _s1, _s2, _s3];

    /// <summary>A generator continuing from a saved <see cref="State"/>.</summary>
    /// <exception cref="ArgumentException">not four words, or all zero (not a valid xoshiro state).</exception>
    public static SeededRandom FromState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 4 || (state[0] | state[1] | state[2] | state[3]) == 0)
            throw new ArgumentException("a xoshiro256** state is four words, not all zero", nameof(state));
        return new SeededRandom(0) { _s0 = state[0], _s1 = state[1], _s2 = state[2], _s3 = state[3] };
    }

    /// <summary>Derives an independent generator for a named purpose (weights, shuffles, splits), so adding draws
    /// for one purpose never shifts another's sequence.</summary>
    public static SeededRandom ForPurpose(ulong seed, string purpose)
    {
        ulong h = 14695981039346656037UL; // FNV-1a over the purpose's characters
        foreach (char c in purpose) { h ^= c; h *= 1099511628211UL; }
        return new SeededRandom(seed ^ h);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, <paramref name="bound"/>) without modulo bias (Lemire's method).</summary>
    public int NextInt(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        ulong range = (ulong)bound;
        ulong threshold = (0UL - range) % range;
        while (true)
        {
            ulong r = NextUInt64();
            ulong high = Math.BigMul(r, range, out ulong low);
            if (low >= threshold) return (int)high;
        }
    }

    /// <summary>A standard normal draw (Box–Muller, one of the pair used).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(); // (0, 1]
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A random permutation of 0..n−1.</summary>
    public int[] Permutation(int n)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        Shuffle(p.AsSpan());
        return p;
    }

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
