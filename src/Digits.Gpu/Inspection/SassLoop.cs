using System.Globalization;
using System.Text.RegularExpressions;

namespace Digits.Gpu.Inspection;

/// <summary>
/// One loop of a kernel's SASS (the instructions from a backward branch's target to the branch, as
/// <c>cuobjdump -sass</c> prints them) and its instruction mix by opcode (<c>FFMA</c>, <c>LDS.128</c>,
/// <c>IMAD.WIDE.U32</c>; predicates dropped). <see cref="MainLoop"/> picks a GEMM's main loop: the loop with the
/// most FFMA, the innermost of those that tie. The counts are static (each instruction once), which for an
/// innermost loop is also the mix it issues per iteration.
/// </summary>
public sealed partial record SassLoop(int Start, int End, IReadOnlyDictionary<string, int> Opcodes)
{
    public int Instructions => Opcodes.Values.Sum();

    /// <summary>FFMA instructions (any modifier).</summary>
    public int Ffma => Count(op => op == "FFMA" || op.StartsWith("FFMA.", StringComparison.Ordinal));

    /// <summary>FFMA ÷ all instructions: the ceiling on the FP32 rate the loop can reach, one issue per clock.</summary>
    public double FfmaShare => Instructions == 0 ? 0 : (double)Ffma / Instructions;

    /// <summary>Shared-memory loads narrower than 16 bytes (<c>LDS</c>, <c>LDS.64</c>, <c>LDS.U8</c>…).</summary>
    public int ScalarSharedLoads => Count(op => op.StartsWith("LDS", StringComparison.Ordinal) && op != "LDS.128");

    /// <summary>16-byte shared-memory loads (<c>LDS.128</c>).</summary>
    public int VectorSharedLoads => Count(op => op == "LDS.128");

    private int Count(Func<string, bool> which) => Opcodes.Where(p => which(p.Key)).Sum(p => p.Value);

    /// <summary>"555 instructions: 512 FFMA (92.3 %), 32 LDS.128, 4 IMAD, …" (the five most common).</summary>
    public override string ToString() =>
        $"{Instructions} instructions: " + string.Join(", ", Opcodes.OrderByDescending(p => p.Value).ThenBy(p => p.Key,
            StringComparer.Ordinal).Take(5).Select(p => p.Key == "FFMA"
            ? $"{p.Value} FFMA ({FfmaShare.ToString("P1", CultureInfo.InvariantCulture)})" : $"{p.Value} {p.Key}"));

    /// <summary>Every loop of <paramref name="sass"/> (one kernel's <c>cuobjdump -sass</c> text).</summary>
    public static IReadOnlyList<SassLoop> Loops(string sass)
    {
        var code = new List<(int Address, string Text)>();
        foreach (Match m in Instruction().Matches(sass))
            code.Add((int.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                m.Groups[2].Value.Trim()));
        var loops = new List<SassLoop>();
        foreach (var (address, text) in code)
        {
            var branch = Branch().Match(text);
            if (!branch.Success) continue;
            int target = int.Parse(branch.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (target > address) continue;
            var mix = code.Where(c => c.Address >= target && c.Address <= address)
                .GroupBy(c => Opcode(c.Text)).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            loops.Add(new SassLoop(target, address, mix));
        }
        return loops;
    }

    /// <summary>The loop with the most FFMA (the innermost if several tie); null when no loop has any.</summary>
    public static SassLoop? MainLoop(string sass) => Loops(sass).Where(l => l.Ffma > 0)
        .OrderByDescending(l => l.Ffma).ThenBy(l => l.End - l.Start).FirstOrDefault();

    /// <summary>The opcode of one instruction: "@!P0 LDS.128 R4, [R2+0x10]" → "LDS.128".</summary>
    internal static string Opcode(string instruction)
    {
        string text = Predicate().Replace(instruction, "");
        int space = text.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? text : text[..space];
    }

    // "        /*0fe0*/                   FFMA R26, R27, R34, R19 ;   /* 0x… */"
    [GeneratedRegex(@"/\*([0-9a-f]{4,})\*/\s+([^;/]+);", RegexOptions.IgnoreCase)]
    private static partial Regex Instruction();

    [GeneratedRegex(@"\bBRA(?:\.\S+)?\s+(?:`\()?0x([0-9a-f]+)", RegexOptions.IgnoreCase)]
    private static partial Regex Branch();

    [GeneratedRegex(@"^@!?U?P[T0-9]+\s+")]
    private static partial Regex Predicate();
}
