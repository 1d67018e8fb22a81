using System.Runtime.CompilerServices;

namespace Digits.Core.Backends;

/// <summary>
/// One dropout op's constants (inverted dropout, Srivastava, Hinton, Krizhevsky, Sutskever &amp; Salakhutdinov,
/// "Dropout: a simple way to prevent neural networks from overfitting", JMLR 15, 2014): element e of a tensor is
/// kept at step t iff its 16-bit draw is ≥ <see cref="Threshold"/>, and a kept element is multiplied by
/// <see cref="Scale"/> = 1/(1 − p), so the expected activation is unchanged and evaluation needs no rescaling.
/// <para>The draw: Philox4x32-10 with key (<see cref="SeedLow"/>, <see cref="SeedHigh"/>) and counter
/// (e / 8, t, <see cref="Stream"/>, <see cref="Philox.PurposeDropout"/>); of the block's four words, word (e / 2) mod 4,
/// its low 16 bits for even e and its high 16 bits for odd e. The rate is therefore exact to 1/65,536.
/// Stream 0 is the input, stream l the output of hidden layer l (1-based).</para>
/// </summary>
public struct DropoutParameters
{
    public uint SeedLow, SeedHigh;

    /// <summary>Which tensor: 0 = the input, l = hidden layer l's output.</summary>
    public int Stream;

    /// <summary>round(p · 65,536): an element is dropped iff its 16-bit draw is below it.</summary>
    public int Threshold;

    /// <summary>1/(1 − p), applied to kept elements.</summary>
    public float Scale;

    /// <summary>The constants for drop probability <paramref name="rate"/> in [0, 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">the rate is outside [0, 1).</exception>
    public static DropoutParameters For(ulong seed, int stream, float rate)
    {
        if (!(rate >= 0 && rate < 1)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "a dropout rate is in [0, 1)");
        return new DropoutParameters
        {
            SeedLow = Philox.KeyLow(seed), SeedHigh = Philox.KeyHigh(seed), Stream = stream,
            Threshold = (int)Math.Min(Math.Round(rate * 65536.0), 65535), Scale = 1f / (1f - rate),
        };
    }

    /// <summary>Whether element <paramref name="element"/> is kept at global step <paramref name="step"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool Keep(int element, int step)
    {
        var block = Philox.Block((uint)element >> 3, (uint)step, (uint)Stream, Philox.PurposeDropout, SeedLow, SeedHigh);
        return Keep(block, element, Threshold);
    }

    /// <summary>The keep decision for element <paramref name="element"/> from its block (the one for element / 8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Keep(UInt4 block, int element, int threshold)
    {
        uint word = block.Word(element >> 1);
        int draw = (int)((element & 1) == 0 ? word & 0xFFFF : word >> 16);
        return draw >= threshold;
    }
}
