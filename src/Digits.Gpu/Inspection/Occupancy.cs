namespace Digits.Gpu.Inspection;

/// <summary>
/// One GPU's per-SM resources as the occupancy calculation needs them (NVIDIA, CUDA C++ Programming Guide, "Technical
/// Specifications per Compute Capability"; <c>cuda_occupancy.h</c> for the allocation units): registers are given to
/// warps in units of <see cref="RegisterUnit"/> from each of <see cref="SubPartitions"/> quarters of the register file,
/// shared memory to groups in units of <see cref="SharedUnit"/> with <see cref="ReservedSharedBytes"/> reserved for
/// the system per group (sm_80 and later).
/// </summary>
public sealed record SmLimits(string Gpu, string Architecture, int Sms, int RegistersPerSm, int SubPartitions,
    int RegisterUnit, int MaxThreadsPerSm, int MaxGroupsPerSm, int MaxThreadsPerGroup, int SharedBytesPerSm,
    int SharedUnit, int ReservedSharedBytes)
{
    /// <summary>NVIDIA H100 SXM (sm_90): 132 SMs, 64 K registers, 228 KB shared memory, 2,048 threads and 32 groups
    /// per SM.</summary>
    public static SmLimits H100 { get; } = new("H100 SXM", "sm_90", 132, 65536, 4, 256, 2048, 32, 1024, 228 * 1024,
        128, 1024);

    /// <summary>NVIDIA A100 (sm_80): 108 SMs, 64 K registers, 164 KB shared memory, 2,048 threads and 32 groups per
    /// SM.</summary>
    public static SmLimits A100 { get; } = new("A100", "sm_80", 108, 65536, 4, 256, 2048, 32, 1024, 164 * 1024, 128,
        1024);

    /// <summary>The GPU the tables use for <paramref name="architecture"/> (<c>sm_90</c>: H100, <c>sm_80</c>: A100),
    /// or null.</summary>
    public static SmLimits? For(string architecture) => architecture switch
    {
        "sm_90" => H100,
        "sm_80" => A100,
        _ => null,
    };
}

/// <summary>How many groups of <see cref="Threads"/> threads one SM holds at once, the resulting fraction of its
/// thread slots (<see cref="Fraction"/>), and what limits it (<c>registers</c>, <c>shared memory</c>,
/// <c>threads</c> or <c>groups</c>; several when they tie).</summary>
public sealed record OccupancyResult(int Threads, int GroupsPerSm, double Fraction, string LimitedBy);

/// <summary>
/// The occupancy calculation of <c>cuda_occupancy.h</c> (<c>cudaOccMaxActiveBlocksPerMultiprocessor</c>) for one
/// kernel's registers per thread and static shared memory per group, assuming the SM gives shared memory its largest
/// share (the driver picks that carve-out when a kernel needs it).
/// </summary>
public static class Occupancy
{
    /// <summary>Groups of <paramref name="threads"/> per SM for a kernel of <paramref name="registers"/> per thread and
    /// <paramref name="sharedBytes"/> of shared memory per group.</summary>
    /// <exception cref="ArgumentOutOfRangeException">threads outside [1, MaxThreadsPerGroup].</exception>
    public static OccupancyResult For(SmLimits sm, int registers, int sharedBytes, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(threads, sm.MaxThreadsPerGroup);
        int warps = (threads + 31) / 32;
        // Registers: each warp gets registers·32 rounded up to the unit, from one quarter of the register file.
        int perWarp = RoundUp(Math.Max(registers, 1) * 32, sm.RegisterUnit);
        int warpsPerQuarter = sm.RegistersPerSm / sm.SubPartitions / perWarp;
        bool groupFits = perWarp * RoundUp(warps, sm.SubPartitions) <= sm.RegistersPerSm;
        int byRegisters = groupFits ? warpsPerQuarter * sm.SubPartitions / warps : 0;
        int byThreads = sm.MaxThreadsPerSm / 32 / warps;
        int shared = RoundUp(sharedBytes + sm.ReservedSharedBytes, sm.SharedUnit);
        int byShared = sm.SharedBytesPerSm / shared;
        int groups = Math.Min(Math.Min(byRegisters, byThreads), Math.Min(byShared, sm.MaxGroupsPerSm));
        var limits = new List<string>();
        if (groups == byRegisters) limits.Add("registers");
        if (groups == byShared) limits.Add("shared memory");
        if (groups == byThreads) limits.Add("threads");
        if (groups == sm.MaxGroupsPerSm) limits.Add("groups");
        return new OccupancyResult(threads, groups, groups * warps * 32.0 / sm.MaxThreadsPerSm, string.Join(", ", limits));
    }

    /// <summary>The group size the driver's <c>cuOccupancyMaxPotentialBlockSize</c> picks for an implicitly grouped
    /// kernel (ILGPU asks it): the largest multiple of 32 up to <see cref="SmLimits.MaxThreadsPerGroup"/> whose
    /// occupancy no smaller size beats.</summary>
    public static OccupancyResult Best(SmLimits sm, int registers, int sharedBytes)
    {
        OccupancyResult? best = null;
        for (int threads = sm.MaxThreadsPerGroup; threads > 0; threads -= 32)
        {
            var o = For(sm, registers, sharedBytes, threads);
            if (best is null || o.GroupsPerSm * o.Threads > best.GroupsPerSm * best.Threads) best = o;
        }
        return best!;
    }

    private static int RoundUp(int value, int unit) => (value + unit - 1) / unit * unit;
}
