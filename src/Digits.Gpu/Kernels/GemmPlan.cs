// GemmPlan: which tile and how many k-splits each GEMM launch uses, chosen on the host from M, N, K and the device's
// multiprocessor count by a small cost model; pure C#, so every plan can be printed and tested without a GPU.
//
// Why: an H100 has 132 SMs, and at MNIST shapes one 128×128 tile per block gives 4 to 64 blocks, so most SMs would
// sit idle. Splitting K into S chunks multiplies the blocks by S; the S partial sums go to a workspace and
// LinearSplitSum adds them in a fixed order, which costs writing and reading S·M·N floats and one more launch.
// GemmPlanner.Plan weighs the two with the model below and takes the cheapest candidate; a GEMM over
// FillFlops (10 MFLOP) must put a block on every SM (blocks ≥ SMs) whenever some candidate can.
//
// The model (an H100 SXM's figures; only the SM count comes from the device):
//   compute  = ⌈blocks / SMs⌉ rounds × (2·BM·BN·chunk FLOP per block) / (SM FP32 rate × the tile's FFMA share)
//   latency  = ⌈blocks / SMs⌉ × StageLatency (the first tile's global loads and the epilogue, per round)
//   memory   = 4 bytes × (M·K + K·N + M·N, plus 2·S·M·N for split partials) / DRAM bandwidth
//   time     = max(compute + latency, memory) + (S > 1 ? LaunchGap : 0)
// CPU twin: none (host-side arithmetic); used by LinearKernels' launches and GemmPlanReport.
namespace Digits.Gpu.Kernels;

/// <summary>The tile kernels of the GEMM family, in <see cref="KernelSet"/>'s order.</summary>
public enum GemmTileKind
{
    /// <summary>128×128 outputs per block (the kernels named after their op, e.g. <c>LinearForward</c>).</summary>
    Tile128,

    /// <summary>64×64 outputs per block (the kernels named <c>…Small</c>, e.g. <c>LinearForwardSmall</c>).</summary>
    Tile64,
}

/// <summary>One tile kernel's geometry: <see cref="Rows"/> × <see cref="Columns"/> outputs of C per block of
/// <see cref="ThreadsX"/> × <see cref="ThreadsY"/> threads, <see cref="Depth"/> k per stage;
/// <see cref="FfmaShare"/> is the fraction of its SASS main loop that is FFMA (sm_90, ptxas 11.8: what
/// <c>digits kernels</c> prints; a test keeps the two within 3 points), the model's issue efficiency.</summary>
public sealed record GemmTileSize(GemmTileKind Kind, int Rows, int Columns, int ThreadsX, int ThreadsY, int Depth,
    double FfmaShare)
{
    public static GemmTileSize Large { get; } = new(GemmTileKind.Tile128, 128, 128, 16, 16, 16, 0.92);
    public static GemmTileSize Small { get; } = new(GemmTileKind.Tile64, 64, 64, 16, 8, 16, 0.88);

    /// <summary>The family's register budget per thread (ptxas, sm_80 and sm_90): at most 128, so that two
    /// 256-thread blocks of the large tile (or six of the small) are resident on an SM's 64 Ki registers and one
    /// block's global loads overlap another's FMAs.</summary>
    public const int RegisterBudget = 128;

    /// <summary>Every tile, largest first.</summary>
    public static IReadOnlyList<GemmTileSize> All { get; } = [Large, Small];

    public int Threads => ThreadsX * ThreadsY;

    /// <summary>The kernel's name for an op: <c>LinearForward</c>, <c>LinearForwardSmall</c>.</summary>
    public string KernelName(string op) => Kind == GemmTileKind.Tile128 ? op : op + "Small";

    /// <summary>⌈extent / tile⌉.</summary>
    public static int Blocks(int extent, int tile) => (int)(((long)extent + tile - 1) / tile);

    public override string ToString() => $"{Rows}×{Columns}";
}

/// <summary>A GEMM launch: <see cref="Tile"/>, <see cref="Splits"/> chunks of <see cref="Chunk"/> k (a multiple of
/// the tile's depth; the last chunk may be shorter), and what the model expects of it.</summary>
public sealed record GemmPlan(GemmTileSize Tile, int Splits, int Chunk)
{
    /// <summary>⌈N/BN⌉ · ⌈M/BM⌉ · S.</summary>
    public long Blocks(int m, int n) =>
        (long)GemmTileSize.Blocks(m, Tile.Rows) * GemmTileSize.Blocks(n, Tile.Columns) * Splits;

    /// <summary>Floats of workspace the split-K partials take (0 for a single split).</summary>
    public long WorkspaceFloats(int m, int n) => Splits == 1 ? 0 : (long)Splits * m * n;

    /// <summary>The plan for a forced tile and split count (tests, benchmarks): chunk = ⌈K/S⌉ rounded up to the
    /// tile's depth; S is then lowered to the chunks K actually fills.</summary>
    public static GemmPlan Forced(GemmTileSize tile, int splits, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(splits, 1);
        int chunk = RoundUp(Math.Max(1, (k + splits - 1) / splits), tile.Depth);
        return new GemmPlan(tile, Math.Max(1, (k + chunk - 1) / chunk), chunk);
    }

    internal static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    public override string ToString() => Splits == 1 ? $"{Tile}" : $"{Tile} split {Splits}×{Chunk}";
}

/// <summary>Chooses a <see cref="GemmPlan"/> per GEMM shape (see the file's header for the model).</summary>
public static class GemmPlanner
{
    /// <summary>An H100 SXM SM's FP32 rate: 128 lanes × 2 FLOP × 1.98 GHz, in FLOP/s.</summary>
    public const double SmFlops = 128 * 2 * 1.98e9;

    /// <summary>HBM3 bandwidth of an H100 SXM, bytes/s.</summary>
    public const double DramBytesPerSecond = 3.35e12;

    /// <summary>Per round of blocks: the first tile's global loads (~1 µs from DRAM), barriers and the epilogue.</summary>
    public const double StageLatency = 1.0e-6;

    /// <summary>The extra launch of LinearSplitSum, back to back on one stream or in a CUDA graph.</summary>
    public const double LaunchGap = 1.5e-6;

    /// <summary>GEMMs above this many FLOP put a block on every SM when some plan can.</summary>
    public const double FillFlops = 10e6;

    /// <summary>At most this many k chunks (each adds M·N floats of partials).</summary>
    public const int MaxSplits = 64;

    /// <summary>The split-K workspace a backend allocates at start-up, in floats: enough for the partials of any
    /// plan whose split blocks number up to 4 per SM (S·M·N ≤ blocks·BM·BN), and at least 1 Mi floats.</summary>
    public static long WorkspaceFloats(int multiprocessors) =>
        Math.Max(1L << 20, 4L * multiprocessors * GemmTileSize.Large.Rows * GemmTileSize.Large.Columns);

    /// <summary>The cheapest plan by the model for C(M,N) = A(M,K)·B(K,N) on <paramref name="multiprocessors"/>
    /// SMs whose partials fit <paramref name="workspaceFloats"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">a negative size, or fewer than 1 multiprocessor.</exception>
    public static GemmPlan Plan(int m, int n, int k, int multiprocessors, long workspaceFloats)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfLessThan(multiprocessors, 1);
        bool mustFill = 2.0 * m * n * k > FillFlops;
        GemmPlan? best = null;
        double bestTime = double.MaxValue;
        bool bestFills = false;
        foreach (var tile in GemmTileSize.All)
            for (int splits = 1; splits <= Math.Min(MaxSplits, Math.Max(1, (k + tile.Depth - 1) / tile.Depth)); splits++)
            {
                var plan = GemmPlan.Forced(tile, splits, k);
                if (plan.Splits != splits || plan.WorkspaceFloats(m, n) > workspaceFloats) continue;
                double time = Seconds(plan, m, n, k, multiprocessors);
                bool fills = plan.Blocks(m, n) >= multiprocessors;
                // A filling plan beats any that is not, for GEMMs that must fill; else the faster one wins.
                if (best is null || (mustFill && fills != bestFills ? fills : time < bestTime))
                    (best, bestTime, bestFills) = (plan, time, fills);
            }
        return best!;
    }

    /// <summary>The model's time for <paramref name="plan"/>, in seconds (see the file's header).</summary>
    public static double Seconds(GemmPlan plan, int m, int n, int k, int multiprocessors)
    {
        long blocks = plan.Blocks(m, n);
        double rounds = Math.Ceiling((double)blocks / multiprocessors);
        double blockFlops = 2.0 * plan.Tile.Rows * plan.Tile.Columns * Math.Min(plan.Chunk, Math.Max(k, 1));
        double compute = rounds * (blockFlops / (SmFlops * plan.Tile.FfmaShare) + StageLatency);
        double bytes = 4.0 * ((double)m * k + (double)k * n + (double)m * n + 2.0 * plan.WorkspaceFloats(m, n));
        return Math.Max(compute, bytes / DramBytesPerSecond) + (plan.Splits > 1 ? LaunchGap : 0);
    }
}
