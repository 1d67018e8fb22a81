using System.Globalization;
using System.Text;
using Digits.Core.Backends;
using Digits.Gpu.Kernels;

namespace Digits.Gpu.Inspection;

/// <summary>What ptxas and the SASS say of one GEMM kernel on <see cref="Architecture"/>: registers per thread,
/// static shared memory per block, blocks resident per SM (<see cref="Occupancy"/> = their warps ÷ 64) and the
/// main loop's instruction mix.</summary>
public sealed record GemmKernelFacts(string Kernel, string Architecture, int Registers, int SharedBytes, int Threads,
    int BlocksPerSm, SassLoop MainLoop)
{
    public double Occupancy => BlocksPerSm * (Threads / 32.0) / 64;

    /// <summary>Compiles, assembles and disassembles every kernel of the GEMM family for
    /// <paramref name="architecture"/> (sm_80 or sm_90), keyed by kernel name.</summary>
    /// <exception cref="InvalidOperationException">ILGPU or ptxas failed on a GEMM kernel.</exception>
    public static IReadOnlyDictionary<string, GemmKernelFacts> Measure(Ptxas ptxas, string architecture)
    {
        var kernels = OfflinePtx.CompileAll(architecture, out var failures)
            .Where(k => k.Family is nameof(LinearKernels) or nameof(GemmEpilogue)).ToArray();
        if (failures.Count > 0) throw new InvalidOperationException(string.Join("\n", failures));
        string folder = Path.Combine(Path.GetTempPath(), $"digits-gemm-{Environment.ProcessId}-{architecture}");
        try
        {
            var facts = new Dictionary<string, GemmKernelFacts>(StringComparer.Ordinal);
            foreach (var kernel in kernels.Where(k => k.Family == nameof(LinearKernels)))
            {
                var report = ptxas.Assemble(kernel, architecture, folder);
                var loop = SassLoop.MainLoop(ptxas.Disassemble(report.CubinPath))
                           ?? throw new InvalidOperationException($"{kernel.Name}: no loop with FFMA in its SASS");
                int threads = GemmTileSize.All.Single(t => t.KernelName(OpOf(kernel.Name)) == kernel.Name).Threads;
                facts[kernel.Name] = new GemmKernelFacts(kernel.Name, architecture, report.Registers, report.SharedBytes,
                    threads, ResidentBlocks(architecture, report.Registers, report.SharedBytes, threads), loop);
            }
            return facts;
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>"LinearForwardSmall" → "LinearForward".</summary>
    internal static string OpOf(string kernel) => kernel.EndsWith("Small", StringComparison.Ordinal) ? kernel[..^5] : kernel;

    /// <summary>Blocks one SM holds at once, from NVIDIA's occupancy rules (CUDA C Programming Guide, "Compute
    /// Capabilities" table): 64 Ki registers allocated per warp in 256s, 2048 threads, 32 blocks, and 228 KiB (sm_90)
    /// or 164 KiB (sm_80) of shared memory with 1 KiB reserved per block.</summary>
    public static int ResidentBlocks(string architecture, int registers, int sharedBytes, int threads)
    {
        int warps = (threads + 31) / 32;
        int perWarp = (Math.Max(registers, 1) * 32 + 255) / 256 * 256;
        int byRegisters = 65536 / (perWarp * warps);
        int sharedPerSm = architecture == "sm_90" ? 228 * 1024 : 164 * 1024;
        int bySharedMemory = sharedPerSm / (sharedBytes + 1024);
        return Math.Min(Math.Min(byRegisters, bySharedMemory), Math.Min(2048 / threads, 32));
    }
}

/// <summary>
/// The table <c>digits kernels --plans</c> prints: for each preset GEMM, the plan <see cref="GemmPlanner"/> makes on a
/// given SM count (tile kernel, split-K, blocks, blocks per SM and waves at the kernel's occupancy), the kernel's
/// registers, shared memory, occupancy and main-loop FFMA share from ptxas and the SASS (when the tools are there),
/// and what the model expects on an H100 (µs and GFLOP/s).
/// </summary>
public static class GemmPlanReport
{
    /// <summary>The table in Markdown, one row per GEMM, then one line per network with its total.</summary>
    public static string Table(IEnumerable<DenseGemm> gemms, int multiprocessors,
        IReadOnlyDictionary<string, GemmKernelFacts>? facts)
    {
        var c = CultureInfo.InvariantCulture;
        long workspace = GemmPlanner.WorkspaceFloats(multiprocessors);
        var text = new StringBuilder();
        text.AppendLine("| network | layer | GEMM | M×N×K | MFLOP | kernel (tile) | split × k | blocks | per SM | waves | " +
                        "regs | smem B | occupancy | main loop FFMA | model µs | model GFLOP/s |");
        text.AppendLine("| --- | ---: | --- | --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var totals = new List<(string Network, double Flops, double Seconds)>();
        foreach (var w in gemms)
        {
            var plan = GemmPlanner.Plan(w.M, w.N, w.K, multiprocessors, workspace);
            double seconds = GemmPlanner.Seconds(plan, w.M, w.N, w.K, multiprocessors);
            long blocks = plan.Blocks(w.M, w.N);
            string kernel = plan.Tile.KernelName(w.BackendOp);
            GemmKernelFacts? f = facts is not null && facts.TryGetValue(kernel, out var found) ? found : null;
            string Cell(Func<GemmKernelFacts, string> show) => f is null ? "–" : show(f);
            text.AppendLine(string.Create(c, $"| {w.Network} | {w.Layer} | {Short(w.Op)} | {w.M}×{w.N}×{w.K} | " +
                $"{w.Flops / 1e6:0.0} | {kernel} ({plan.Tile}) | {(plan.Splits == 1 ? "1" : $"{plan.Splits} × {plan.Chunk}")} | " +
                $"{blocks} | {(double)blocks / multiprocessors:0.00} | " +
                $"{Cell(x => (blocks / (double)(multiprocessors * x.BlocksPerSm)).ToString("0.00", c))} | " +
                $"{Cell(x => x.Registers.ToString(c))} | {Cell(x => x.SharedBytes.ToString(c))} | " +
                $"{Cell(x => $"{x.Occupancy:P0} ({x.BlocksPerSm}/SM)")} | {Cell(x => x.MainLoop.FfmaShare.ToString("P1", c))} | " +
                $"{seconds * 1e6:0.0} | {w.Flops / seconds / 1e9:0} |"));
            totals.Add((w.Network, w.Flops, seconds));
        }
        text.AppendLine();
        foreach (var g in totals.GroupBy(t => t.Network))
        {
            double flops = g.Sum(t => t.Flops), seconds = g.Sum(t => t.Seconds);
            text.AppendLine(string.Create(c, $"- {g.Key}: {flops / 1e9:0.000} GFLOP of GEMMs per step in " +
                $"{seconds * 1e6:0} µs by the model ({flops / seconds / 1e9:0} GFLOP/s)"));
        }
        return text.ToString();
    }

    private static string Short(GemmOp op) => op switch
    {
        GemmOp.Forward => "forward",
        GemmOp.BackwardWeight => "weight grad",
        _ => "input grad",
    };
}
