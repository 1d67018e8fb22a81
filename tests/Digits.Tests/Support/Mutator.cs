using System.Buffers.Binary;
using System.Text;

namespace Digits.Tests.Support;

/// <summary>A header field of a valid input that <see cref="Mutator"/> may inflate: <paramref name="Size"/> bytes
/// (1, 2, 4 or 8) at <paramref name="Offset"/>, big- or little-endian, named for the mutation's description.</summary>
public sealed record Field(string Name, int Offset, int Size, bool BigEndian = true);

/// <summary>A valid input to mutate, named for descriptions, with the header fields worth inflating.</summary>
public sealed record MutationSource(string Name, byte[] Bytes, IReadOnlyList<Field>? Fields = null)
{
    public IReadOnlyList<Field> Fields { get; init; } = Fields ?? [];
}

/// <summary>One mutated input: its case <paramref name="Index"/>, the valid input it was made from, a description a person can read ("seed 1, case 17
/// on 'p5': set 'width' (offset 3, ASCII) to 16384; truncate to 40 of 61 bytes") and the bytes.</summary>
public sealed record Mutation(int Index, MutationSource Source, string Description, byte[] Bytes);

/// <summary>
/// Seeded, deterministic mutations of valid inputs: truncations, bit flips, byte overwrites (with random and
/// boundary values), inserted and deleted ranges, duplicated ranges, runs of one repeated byte, and header
/// inflations — a <see cref="Field"/> set to a huge or boundary value (0x7FFFFFFF, 2⁶², …) or an ASCII number in the
/// input (a PGM width, a CSV cell, a JSON shape) replaced by one. Case <c>i</c> depends only on the seed, the sources
/// and <c>i</c> (its own SplitMix64 stream), so <see cref="Mutate"/> replays any single case without the others.
/// </summary>
public sealed class Mutator(int seed)
{
    private static readonly ulong[] HugeValues =
    [
        0x7FFFFFFF, 0xFFFFFFFF, 0x80000000, 0x7FFFFFFE, 0x10000, 0x1000000, 0, 1, 0xFFFF, 0x7FFF,
        1UL << 62, 1UL << 63, ulong.MaxValue, 1UL << 32, (1UL << 40) + 7,
    ];

    private static readonly string[] NumberValues =
    [
        "0", "1", "-1", "2", "255", "256", "1000", "10000", "16384", "16385", "65535", "65536", "1048576",
        "2147483647", "2147483648", "4294967295", "4294967296", "9999999999", "9223372036854775807",
        "99999999999999999999999", "1e9", "1.5", "00000000000000000000000001", "",
    ];

    private static readonly byte[] SpecialBytes =
        [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE, (byte)'0', (byte)'9', (byte)',', (byte)'\n', (byte)'\r', (byte)' ',
         (byte)'#', (byte)'"', (byte)'{', (byte)'}', (byte)'[', (byte)'-'];

    public int Seed { get; } = seed;

    /// <summary>Cases 0, 1, 2, … without end; the caller bounds them by count and time.</summary>
    public IEnumerable<Mutation> Mutations(IReadOnlyList<MutationSource> sources)
    {
        for (int i = 0; ; i++) yield return Mutate(sources, i);
    }

    /// <summary>Case <paramref name="index"/>: one to three stacked mutations of one source, chosen by
    /// (seed, index) alone.</summary>
    public Mutation Mutate(IReadOnlyList<MutationSource> sources, int index)
    {
        if (sources.Count == 0) throw new ArgumentException("no valid inputs to mutate", nameof(sources));
        var random = new SplitMix64(((ulong)(uint)Seed << 32) ^ (uint)index ^ 0x9E3779B97F4A7C15UL);
        var source = sources[random.Below(sources.Count)];
        var bytes = new List<byte>(source.Bytes);
        int steps = random.Below(8) switch { < 5 => 1, < 7 => 2, _ => 3 };
        var done = new List<string>();
        for (int s = 0; s < steps; s++) done.Add(Step(bytes, source, random));
        string description = $"seed {Seed}, case {index} on '{source.Name}' ({source.Bytes.Length} bytes): " +
                             string.Join("; then ", done);
        return new Mutation(index, source, description, [.. bytes]);
    }

    private static string Step(List<byte> b, MutationSource source, SplitMix64 r)
    {
        int kind = r.Below(100);
        // Field inflation is the most telling mutation, so a third of the steps do it where the source has fields;
        // ASCII number replacement plays the same part for text formats and JSON headers.
        if (kind < 33 && source.Fields.Count > 0 && Inflate(b, source.Fields[r.Below(source.Fields.Count)], r) is { } f)
            return f;
        if (kind < 48 && Numbers(b) is { Count: > 0 } numbers)
        {
            var (start, length) = numbers[r.Below(numbers.Count)];
            string value = NumberValues[r.Below(NumberValues.Length)];
            string old = Encoding.ASCII.GetString(b.GetRange(start, length).ToArray());
            b.RemoveRange(start, length);
            b.InsertRange(start, Encoding.ASCII.GetBytes(value));
            return $"replace the number '{Shorten(old)}' at byte {start} with '{value}'";
        }
        if (b.Count == 0)
        {
            b.AddRange(RandomBytes(r, 1 + r.Below(8)));
            return $"append {b.Count} random bytes to the empty input";
        }
        switch (r.Below(9))
        {
            case 0:
            {
                int keep = r.Below(b.Count);
                b.RemoveRange(keep, b.Count - keep);
                return $"truncate to {keep} bytes";
            }
            case 1:
            {
                int cut = 1 + r.Below(Math.Min(8, b.Count));
                b.RemoveRange(b.Count - cut, cut);
                return $"drop the last {cut} bytes";
            }
            case 2:
            {
                var flips = new List<string>();
                for (int k = 1 + r.Below(4); k > 0; k--)
                {
                    int at = r.Below(b.Count), bit = r.Below(8);
                    b[at] ^= (byte)(1 << bit);
                    flips.Add($"{at}.{bit}");
                }
                return $"flip bits (byte.bit) {string.Join(", ", flips)}";
            }
            case 3:
            {
                var writes = new List<string>();
                for (int k = 1 + r.Below(4); k > 0; k--)
                {
                    int at = r.Below(b.Count);
                    byte value = r.Below(2) == 0 ? SpecialBytes[r.Below(SpecialBytes.Length)] : (byte)r.Below(256);
                    writes.Add($"[{at}] 0x{b[at]:X2}→0x{value:X2}");
                    b[at] = value;
                }
                return $"overwrite {string.Join(", ", writes)}";
            }
            case 4:
            {
                int at = r.Below(b.Count + 1);
                var insert = RandomBytes(r, 1 + r.Below(16));
                b.InsertRange(at, insert);
                return $"insert {insert.Length} random bytes at {at}";
            }
            case 5:
            {
                int at = r.Below(b.Count), length = 1 + r.Below(Math.Min(16, b.Count - at));
                b.RemoveRange(at, length);
                return $"delete {length} bytes at {at}";
            }
            case 6:
            {
                int at = r.Below(b.Count), length = 1 + r.Below(Math.Min(64, b.Count - at)), to = r.Below(b.Count + 1);
                b.InsertRange(to, b.GetRange(at, length));
                return $"copy {length} bytes from {at} to {to}";
            }
            case 7:
            {
                int at = r.Below(b.Count + 1), length = 1 + r.Below(4096);
                byte value = SpecialBytes[r.Below(SpecialBytes.Length)];
                b.InsertRange(at, Enumerable.Repeat(value, length));
                return $"insert {length} × 0x{value:X2} at {at}";
            }
            default:
            {
                int at = r.Below(b.Count), length = Math.Min(b.Count - at, 1 + r.Below(32));
                byte value = SpecialBytes[r.Below(SpecialBytes.Length)];
                for (int k = 0; k < length; k++) b[at + k] = value;
                return $"overwrite {length} bytes at {at} with 0x{value:X2}";
            }
        }
    }

    /// <summary>Sets <paramref name="field"/> to a huge or boundary value; null when an earlier step cut the input
    /// short of it.</summary>
    private static string? Inflate(List<byte> b, Field field, SplitMix64 r)
    {
        if (field.Offset + field.Size > b.Count) return null;
        Span<byte> span = stackalloc byte[8];
        for (int k = 0; k < field.Size; k++) span[k] = b[field.Offset + k];
        ulong old = Read(span[..field.Size], field.BigEndian);
        ulong mask = field.Size == 8 ? ulong.MaxValue : (1UL << (8 * field.Size)) - 1;
        ulong value = r.Below(4) switch
        {
            0 => old + 1,
            1 => old == 0 ? 1 : old - 1,
            2 => old * 2 + 1,
            _ => HugeValues[r.Below(HugeValues.Length)],
        } & mask;
        Write(span[..field.Size], value, field.BigEndian);
        for (int k = 0; k < field.Size; k++) b[field.Offset + k] = span[k];
        return $"set {field.Name} (offset {field.Offset}, {field.Size} bytes {(field.BigEndian ? "BE" : "LE")}) " +
               $"from {old} to {value} (0x{value:X})";
    }

    private static ulong Read(ReadOnlySpan<byte> s, bool bigEndian) => s.Length switch
    {
        1 => s[0],
        2 => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s),
        4 => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s),
        8 => bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(s) : BinaryPrimitives.ReadUInt64LittleEndian(s),
        _ => throw new ArgumentException($"field size {s.Length} is not 1, 2, 4 or 8"),
    };

    private static void Write(Span<byte> s, ulong value, bool bigEndian)
    {
        switch (s.Length)
        {
            case 1: s[0] = (byte)value; break;
            case 2:
                if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(s, (ushort)value);
                else BinaryPrimitives.WriteUInt16LittleEndian(s, (ushort)value);
                break;
            case 4:
                if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(s, (uint)value);
                else BinaryPrimitives.WriteUInt32LittleEndian(s, (uint)value);
                break;
            default:
                if (bigEndian) BinaryPrimitives.WriteUInt64BigEndian(s, value);
                else BinaryPrimitives.WriteUInt64LittleEndian(s, value);
                break;
        }
    }

    /// <summary>Runs of ASCII digits (at most 256 are listed, spread over the input).</summary>
    private static List<(int Start, int Length)> Numbers(List<byte> b)
    {
        var runs = new List<(int, int)>();
        for (int i = 0; i < b.Count;)
        {
            if (b[i] is < (byte)'0' or > (byte)'9') { i++; continue; }
            int start = i;
            while (i < b.Count && b[i] is >= (byte)'0' and <= (byte)'9') i++;
            runs.Add((start, i - start));
        }
        if (runs.Count <= 256) return runs;
        // Keep the first 128 (headers) and 128 spread over the rest.
        var kept = runs.Take(128).ToList();
        for (int k = 0; k < 128; k++) kept.Add(runs[128 + (int)((long)k * (runs.Count - 128) / 128)]);
        return kept;
    }

    private static byte[] RandomBytes(SplitMix64 r, int count)
    {
        var bytes = new byte[count];
        for (int k = 0; k < count; k++) bytes[k] = (byte)r.Below(256);
        return bytes;
    }

    private static string Shorten(string s) => s.Length <= 24 ? s : s[..24] + "…";

    /// <summary>SplitMix64 (Steele, Lea and Flood 2014): a tiny generator whose sequence never changes with the
    /// runtime, unlike <see cref="Random"/>'s unseeded algorithm.</summary>
    private sealed class SplitMix64(ulong state)
    {
        public ulong Next()
        {
            ulong z = state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        /// <summary>Uniform in [0, n), n ≥ 1.</summary>
        public int Below(int n) => (int)(Next() % (ulong)n);
    }
}
