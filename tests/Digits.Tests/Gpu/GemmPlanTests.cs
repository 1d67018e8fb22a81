using Digits.Cli.Commands;
using Digits.Gpu.Kernels;
using Xunit;

namespace Digits.Tests.Gpu;

/// <summary>
/// The GEMM launch plans (<see cref="GemmPlanner"/>), pure host arithmetic checked without a GPU: every preset GEMM
/// over 10 MFLOP puts a block on each of an H100's 132 SMs, every plan covers K with whole stages and fits the
/// split-K workspace, one SM never splits, and the host's tile table is the kernels' own.
/// </summary>
public sealed class GemmPlanTests
{
    private const int H100 = 132;

    [Fact]
    public void Every_preset_GEMM_over_10_MFLOP_gets_a_block_on_every_one_of_132_SMs()
    {
        var workloads = KernelsCommand.Workloads().ToArray();
        Assert.Contains(workloads, w => w.Network.Contains("large") && w.M == 256 && w.N == 1024 && w.K == 784);
        Assert.Contains(workloads, w => w.Network.Contains("best") && w.K == 2048);
        foreach (var w in workloads.Where(w => w.Flops > GemmPlanner.FillFlops))
        {
            var plan = GemmPlanner.Plan(w.M, w.N, w.K, H100, GemmPlanner.WorkspaceFloats(H100));
            Assert.True(plan.Blocks(w.M, w.N) >= H100,
                $"{w.Network} layer {w.Layer} {w.Op} {w.M}×{w.N}×{w.K}: {plan} launches {plan.Blocks(w.M, w.N)} blocks on {H100} SMs");
        }
    }

    public static TheoryData<int> MultiprocessorCounts => new() { 1, 2, 28, 46, 80, 108, 132, 144 };

    [Theory]
    [MemberData(nameof(MultiprocessorCounts))]
    public void Plans_cover_K_with_whole_stages_and_fit_the_workspace(int multiprocessors)
    {
        long workspace = GemmPlanner.WorkspaceFloats(multiprocessors);
        int[] sizes = [0, 1, 7, 10, 31, 64, 128, 257, 784, 1000, 2048, 4096];
        foreach (int m in sizes)
        foreach (int n in sizes)
        foreach (int k in sizes)
        {
            var plan = GemmPlanner.Plan(m, n, k, multiprocessors, workspace);
            string what = $"{m}×{n}×{k} on {multiprocessors} SMs: {plan}";
            Assert.True(plan.Chunk % plan.Tile.Depth == 0 && plan.Chunk > 0, $"{what}: chunk not a whole number of stages");
            Assert.True(plan.Splits is >= 1 and <= GemmPlanner.MaxSplits, $"{what}: split count");
            Assert.True((long)plan.Splits * plan.Chunk >= k, $"{what}: the chunks do not reach K");
            Assert.True(k == 0 ? plan.Splits == 1 : (long)(plan.Splits - 1) * plan.Chunk < k, $"{what}: an empty split");
            Assert.True(plan.WorkspaceFloats(m, n) <= workspace, $"{what}: partials overflow the workspace");
        }
    }

    [Fact]
    public void One_SM_never_splits_K()
    {
        // ilgpu-cpu reports one multiprocessor: splitting would only add partial sums to the same single worker.
        foreach (int k in new[] { 1, 31, 784, 4096 })
            Assert.Equal(1, GemmPlanner.Plan(257, 784, k, 1, GemmPlanner.WorkspaceFloats(1)).Splits);
    }

    [Fact]
    public void A_GEMM_that_fills_the_SMs_with_whole_tiles_is_not_split()
    {
        // 2048×2048 at K = 128: 256 tiles of 128×128 already give every one of 132 SMs work.
        var plan = GemmPlanner.Plan(2048, 2048, 128, H100, GemmPlanner.WorkspaceFloats(H100));
        Assert.Equal(1, plan.Splits);
    }

    [Fact]
    public void A_forced_plan_rounds_its_chunk_up_to_a_stage_and_drops_empty_splits()
    {
        var plan = GemmPlan.Forced(GemmTileSize.Large, 7, 257); // ⌈257/7⌉ = 37 → 48 = 3 stages; 6 chunks reach 257
        Assert.Equal((6, 48), (plan.Splits, plan.Chunk));
        Assert.Equal((1, 16), (GemmPlan.Forced(GemmTileSize.Small, 5, 0).Splits, GemmPlan.Forced(GemmTileSize.Small, 5, 0).Chunk));
        Assert.Equal(2L * 8 * 6, plan.Blocks(129, 1000)); // ⌈129/128⌉ · ⌈1000/128⌉ · 6
        Assert.Equal(6L * 129 * 1000, plan.WorkspaceFloats(129, 1000));
    }

    [Fact]
    public void The_host_tile_table_is_the_kernels_own()
    {
        static void Same<T>(GemmTileSize size) where T : struct, IGemmTile
        {
            var tile = default(T);
            Assert.Equal((size.ThreadsX, size.ThreadsY, size.Depth), (tile.ThreadsX, tile.ThreadsY, tile.Depth));
            Assert.Equal(size.Rows, 8 * tile.ThreadsY);
            Assert.Equal(size.Columns, (tile.Wide ? 8 : 4) * tile.ThreadsX);
            // Each thread stages exactly two 4-element runs of A and two of B per stage.
            Assert.Equal(2 * size.Threads, size.Rows * size.Depth / 4);
            Assert.Equal(2 * size.Threads, size.Columns * size.Depth / 4);
        }
        Same<Tile128>(GemmTileSize.Large);
        Same<Tile64>(GemmTileSize.Small);
        Assert.Equal([GemmTileKind.Tile128, GemmTileKind.Tile64], GemmTileSize.All.Select(t => t.Kind));
    }

    [Theory]
    [InlineData(-1, 1, 1, 1)]
    [InlineData(1, -1, 1, 1)]
    [InlineData(1, 1, -1, 1)]
    [InlineData(1, 1, 1, 0)]
    public void Negative_sizes_and_no_SMs_are_refused(int m, int n, int k, int multiprocessors) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => GemmPlanner.Plan(m, n, k, multiprocessors, 1 << 20));
}
