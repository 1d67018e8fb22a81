using Digits.Gpu.Inspection;
using Xunit;

namespace Digits.Tests.Gpu;

/// <summary>The occupancy calculation against cases worked by hand from the H100's and A100's per-SM resources
/// (64 K registers in four quarters handed to warps 256 at a time, 2,048 threads, 32 groups, 228 / 164 KB of shared
/// memory with 1 KB reserved per group, 128-byte units).</summary>
public sealed class OccupancyTests
{
    [Theory]
    // registers, shared bytes, threads → groups per SM, occupancy, what limits it
    [InlineData(32, 0, 256, 8, 1.0, "registers, threads")]    // 1,024 registers a warp: 16 warps a quarter, 64 in all
    [InlineData(64, 0, 256, 4, 0.5, "registers")]             // 2,048 a warp: 8 a quarter, 32 warps = 4 groups of 8
    [InlineData(48, 8320, 256, 5, 0.625, "registers")]        // 1,536: 10 a quarter, 40 warps = 5 groups
    [InlineData(40, 8320, 256, 6, 0.75, "registers")]         // 1,280: 12 a quarter, 48 warps = 6 groups
    [InlineData(16, 49152, 128, 4, 0.25, "shared memory")]    // (48 KB + 1 KB) per group: 233,472 / 50,176 = 4
    [InlineData(8, 0, 32, 32, 0.5, "groups")]                 // 32 groups of one warp: half the thread slots
    [InlineData(72, 0, 1024, 0, 0.0, "registers")]            // 2,304 a warp × 32 warps > 64 K: the group cannot start
    public void H100_occupancy_matches_the_hand_worked_cases(int registers, int shared, int threads, int groups,
        double fraction, string limitedBy)
    {
        var o = Occupancy.For(SmLimits.H100, registers, shared, threads);
        Assert.Equal(groups, o.GroupsPerSm);
        Assert.Equal(fraction, o.Fraction, 6);
        Assert.Equal(limitedBy, o.LimitedBy);
    }

    [Fact]
    public void The_A100_has_less_shared_memory_per_SM()
    {
        Assert.Equal(3, Occupancy.For(SmLimits.A100, 16, 49152, 128).GroupsPerSm); // 167,936 / 50,176
        Assert.Equal(4, Occupancy.For(SmLimits.H100, 16, 49152, 128).GroupsPerSm);
        Assert.Same(SmLimits.H100, SmLimits.For("sm_90"));
        Assert.Same(SmLimits.A100, SmLimits.For("sm_80"));
        Assert.Null(SmLimits.For("sm_75"));
    }

    [Fact]
    public void An_implicitly_grouped_kernel_gets_the_largest_group_of_best_occupancy()
    {
        // Few registers: a 1,024-thread group fills the SM twice over.
        var small = Occupancy.Best(SmLimits.H100, 22, 0);
        Assert.Equal((1024, 2, 1.0), (small.Threads, small.GroupsPerSm, small.Fraction));
        // 72 registers: 7 warps a quarter, 28 in all; 896 threads (28 warps) in one group is the largest that reaches it.
        var big = Occupancy.Best(SmLimits.H100, 72, 0);
        Assert.Equal((896, 1, 28 / 64.0), (big.Threads, big.GroupsPerSm, big.Fraction));
    }

    [Fact]
    public void A_group_size_outside_the_device_limits_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Occupancy.For(SmLimits.H100, 32, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Occupancy.For(SmLimits.H100, 32, 0, 1025));
    }
}
