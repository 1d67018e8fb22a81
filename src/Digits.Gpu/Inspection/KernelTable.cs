using System.Text;

namespace Digits.Gpu.Inspection;

/// <summary>One kernel's row of <see cref="KernelTable"/>: what ptxas (or the driver's JIT) reports, its budget,
/// the occupancy that gives on <see cref="SmLimits"/>, and the approximate instructions in its PTX.</summary>
public sealed record KernelRow(string Kernel, string Family, PtxasReport Resources, KernelBudget? Budget,
    OccupancyResult Occupancy, IReadOnlyList<string> Approximations)
{
    /// <summary>Whether the kernel stays within its budget (false without one).</summary>
    public bool WithinBudget => Budget is { } b && Resources.Registers <= b.Registers &&
                                Resources.SharedBytes <= b.SharedBytes;
}

/// <summary>
/// The table of every kernel's registers, shared memory, spills and occupancy that <c>digits kernels</c> prints and
/// <c>src/Digits.Gpu/README.md</c> shows: Markdown, one row per kernel in <c>KernelSet</c>'s order. An explicitly
/// grouped kernel's occupancy is at its launch's group size; an implicitly grouped one's at the size the driver picks
/// for it (<see cref="Occupancy.Best"/>), shown as "auto: N".
/// </summary>
public static class KernelTable
{
    /// <summary>A row per kernel of <paramref name="kernels"/>, measured by <paramref name="measure"/>
    /// (<see cref="Ptxas.Assemble"/> offline, or the reports of <see cref="DriverJit.Assemble"/>).</summary>
    public static IReadOnlyList<KernelRow> Build(IReadOnlyList<KernelPtx> kernels, Func<KernelPtx, PtxasReport?> measure,
        SmLimits sm)
    {
        var rows = new List<KernelRow>();
        foreach (var kernel in kernels)
        {
            if (measure(kernel) is not { } report) continue;
            var budget = KernelBudgets.For(kernel.Name);
            var occupancy = budget is { Threads: > 0 } grouped
                ? Occupancy.For(sm, report.Registers, report.SharedBytes, grouped.Threads)
                : Occupancy.Best(sm, report.Registers, report.SharedBytes);
            rows.Add(new KernelRow(kernel.Name, kernel.Family, report, budget, occupancy,
                OfflinePtx.Approximations(kernel.Ptx)));
        }
        return rows;
    }

    /// <summary>The Markdown table of <paramref name="rows"/>, after a line naming the GPU and
    /// <paramref name="source"/> (what measured the kernels, e.g. "ptxas 11.8 (V11.8.89) on ILGPU's PTX ISA 7.8").</summary>
    public static string Render(IReadOnlyList<KernelRow> rows, SmLimits sm, string source)
    {
        var text = new StringBuilder();
        text.AppendLine($"Kernels on {sm.Gpu} ({sm.Architecture}: {sm.Sms} SMs, each {sm.RegistersPerSm / 1024} K registers, " +
                        $"{sm.SharedBytesPerSm / 1024} KB shared memory, {sm.MaxThreadsPerSm:N0} threads, " +
                        $"{sm.MaxGroupsPerSm} groups), measured by {source}; budgets in parentheses.");
        text.AppendLine();
        text.AppendLine("| kernel | family | threads/group | registers | shared bytes | spills (bytes) | groups/SM | occupancy | limited by | approximations |");
        text.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |");
        foreach (var r in rows)
        {
            var p = r.Resources;
            string threads = r.Budget is { Threads: > 0 } ? $"{r.Occupancy.Threads}" : $"auto: {r.Occupancy.Threads}";
            string budgetRegisters = r.Budget is { } b ? $" ({b.Registers})" : " (none)";
            string budgetShared = r.Budget is { } c ? $" ({c.SharedBytes:N0})" : "";
            text.AppendLine(
                $"| {r.Kernel} | {r.Family} | {threads} | {p.Registers}{budgetRegisters} | {p.SharedBytes:N0}{budgetShared} | " +
                $"{p.SpillStoreBytes + p.SpillLoadBytes} | {r.Occupancy.GroupsPerSm} | {r.Occupancy.Fraction:0%} | " +
                $"{r.Occupancy.LimitedBy} | {string.Join(", ", r.Approximations)} |");
        }
        return text.ToString();
    }
}
