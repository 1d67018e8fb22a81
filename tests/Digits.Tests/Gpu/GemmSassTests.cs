using Digits.Gpu.Inspection;
using Digits.Gpu.Kernels;
using Xunit;

namespace Digits.Tests.Gpu;

/// <summary>
/// The GEMM kernels' machine code, read offline: ILGPU's PTX assembled by NVIDIA's ptxas 11.8 for sm_80 and sm_90 and
/// disassembled by cuobjdump. Each tile kernel's main loop (the loop with the most FFMA) is at least 75 % FFMA and
/// reads shared memory only with 16-byte loads (LDS.128, no scalar LDS); registers stay within the family's budget;
/// the planner's FFMA shares are the measured ones. Without the tools the tests skip with the reason outside CI and
/// fail with CI=true (<see cref="PtxasTests.RequirePtxas"/>). Spills are checked for every kernel by PtxasTests.
/// </summary>
public sealed class GemmSassTests
{
    /// <summary>The floor on a tile kernel's main-loop FFMA share (the target; today 88–92 %).</summary>
    private const double FfmaFloor = 0.75;

    private static readonly Dictionary<string, IReadOnlyDictionary<string, GemmKernelFacts>> Measured = new();

    private static IReadOnlyDictionary<string, GemmKernelFacts> Facts(string architecture)
    {
        var ptxas = PtxasTests.RequirePtxas();
        lock (Measured)
        {
            if (!Measured.TryGetValue(architecture, out var facts))
                Measured[architecture] = facts = GemmKernelFacts.Measure(ptxas, architecture);
            return facts;
        }
    }

    public static TheoryData<string> Architectures => new() { "sm_80", "sm_90" };

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Every_tile_kernel_has_an_FFMA_dense_main_loop_without_scalar_shared_loads(string architecture)
    {
        var facts = Facts(architecture);
        foreach (var tile in GemmTileSize.All)
        foreach (string op in new[] { "LinearForward", "LinearBackwardInput", "LinearBackwardWeight" })
        {
            string kernel = tile.KernelName(op);
            Assert.True(facts.ContainsKey(kernel), $"{kernel} was not measured");
            var loop = facts[kernel].MainLoop;
            Assert.True(loop.FfmaShare >= FfmaFloor,
                $"{kernel} on {architecture}: main loop {loop}; FFMA share below {FfmaFloor:P0}");
            Assert.True(loop.ScalarSharedLoads == 0, $"{kernel} on {architecture}: scalar shared loads in {loop}");
            Assert.True(loop.VectorSharedLoads > 0, $"{kernel} on {architecture}: no LDS.128 in {loop}");
        }
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Every_tile_kernel_stays_within_the_register_budget(string architecture)
    {
        foreach (var f in Facts(architecture).Values)
        {
            Assert.True(f.Registers is > 0 and <= GemmTileSize.RegisterBudget,
                $"{f.Kernel} on {architecture}: {f.Registers} registers, budget {GemmTileSize.RegisterBudget}");
            Assert.True(f.BlocksPerSm >= 2, $"{f.Kernel} on {architecture}: {f.BlocksPerSm} block(s) per SM");
        }
    }

    [Fact]
    public void The_planner_uses_the_measured_FFMA_shares()
    {
        var facts = Facts("sm_90");
        foreach (var tile in GemmTileSize.All)
        {
            double measured = new[] { "LinearForward", "LinearBackwardInput", "LinearBackwardWeight" }
                .Average(op => facts[tile.KernelName(op)].MainLoop.FfmaShare);
            Assert.True(Math.Abs(measured - tile.FfmaShare) <= 0.03,
                $"{tile}: the planner assumes {tile.FfmaShare:P1} FFMA, the SASS has {measured:P1}");
        }
    }

    [Fact]
    public void The_main_loop_is_the_loop_with_the_most_FFMA_counted_by_opcode()
    {
        // No tools needed: a hand-written listing in cuobjdump's layout, an outer loop around an inner one.
        const string sass = """
                /*0000*/                   MOV R1, c[0x0][0x28] ;       /* 0x000000 */
                /*0010*/                   LDG.E.128 R4, [R2.64] ;      /* 0x000000 */
                /*0020*/                   LDS.128 R8, [R3+0x10] ;      /* 0x000000 */
                /*0030*/                   FFMA R12, R8, R4, R12 ;      /* 0x000000 */
                /*0040*/                   FFMA R13, R9, R4, R13 ;      /* 0x000000 */
                /*0050*/              @!P0 BRA 0x20 ;                   /* 0x000000 */
                /*0060*/                   LDS R14, [R3] ;              /* 0x000000 */
                /*0070*/                   BAR.SYNC 0x0 ;               /* 0x000000 */
                /*0080*/               @P1 BRA 0x10 ;                   /* 0x000000 */
                /*0090*/                   EXIT ;                       /* 0x000000 */
            """;
        Assert.Equal(2, SassLoop.Loops(sass).Count);
        var main = SassLoop.MainLoop(sass)!;
        Assert.Equal((0x20, 0x50), (main.Start, main.End));
        Assert.Equal(4, main.Instructions);
        Assert.Equal(2, main.Ffma);
        Assert.Equal(0.5, main.FfmaShare);
        Assert.Equal((1, 0), (main.VectorSharedLoads, main.ScalarSharedLoads));
        var outer = SassLoop.Loops(sass).Single(l => l.Start == 0x10);
        Assert.Equal((1, 1), (outer.VectorSharedLoads, outer.ScalarSharedLoads));
        Assert.Equal("LDS.128", SassLoop.Opcode("@!P0 LDS.128 R4, [R2+0x10]"));
    }
}
