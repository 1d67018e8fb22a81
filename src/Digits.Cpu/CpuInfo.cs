using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Digits.Cpu;

/// <summary>The SIMD instruction set a <see cref="CpuBackend"/> GEMM micro-kernel is written for.</summary>
public enum SimdLevel
{
    /// <summary>Pick the widest the CPU accelerates: <see cref="Avx512"/> when
    /// <see cref="Vector512.IsHardwareAccelerated"/>, else <see cref="Avx2"/>.</summary>
    Auto = 0,

    /// <summary>256-bit vectors (8 floats), a 6×16 register tile. The fallback on CPUs without AVX-512; on a
    /// CPU without 256-bit SIMD (e.g. ARM64) it still runs, through the runtime's software emulation.</summary>
    Avx2 = 1,

    /// <summary>512-bit vectors (16 floats), a 12×32 register tile.</summary>
    Avx512 = 2,
}

/// <summary>
/// What the CPU offers and what it can peak at, for <c>digits devices</c> and <c>bench</c>. The peak itself is
/// measured (<see cref="FmaPeak"/>); the estimate below is kept for comparison.
/// <para>
/// <b>FMA peak</b> = cores used × FMA pipes × fp32 lanes per pipe × 2 (multiply and add) × clock. The pipe
/// count and width are not discoverable through CPUID, so they come from the vendors' optimization manuals:
/// every x86 core with FMA since Haswell / Zen 1 has 2 FMA pipes; they are 256 bits wide on AMD before Zen 5
/// (Zen 4 executes a 512-bit FMA on both 256-bit pipes, so it retires one 512-bit FMA per cycle — AMD
/// "Software Optimization Guide for the AMD Zen 4 Microarchitecture", §2.11), 512 bits wide on AMD Zen 5
/// (family 26) and on Intel cores with AVX-512 (Xeon Scalable "Gold/Platinum" parts; a few lower SKUs have
/// one 512-bit pipe, which this estimate overstates by 2×), and 256 bits on Intel cores without it.
/// </para>
/// <para>
/// <b>Clock</b>: <c>/proc/cpuinfo</c>'s "cpu MHz" where it exists. Under a hypervisor that line is often the
/// nominal (base) clock while the core really runs at its boost clock, which makes a measured GEMM look
/// faster than "peak". So the clock used is the larger of that line and <see cref="MeasuredClockMHz"/>, a
/// ~10 ms timing of a chain of dependent integer adds (one cycle each on every x86 core since the P6).
/// On the machine this was written on, cpuinfo says 2596 MHz, the chain says ~3.5 GHz, and a C loop of
/// independent 512-bit FMAs reaches 113 GFLOP/s per core — 32 flop/cycle × 3.5 GHz, i.e. the estimate.
/// </para>
/// </summary>
public static class CpuInfo
{
    private static readonly Lazy<double> Measured = new(MeasureClockMHz, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>"vendor_id" from /proc/cpuinfo ("AuthenticAMD", "GenuineIntel"), or "" where absent.</summary>
    public static string Vendor { get; } = CpuInfoField("vendor_id") ?? "";

    /// <summary>"model name" from /proc/cpuinfo, or the architecture name where absent.</summary>
    public static string ModelName { get; } =
        CpuInfoField("model name") ?? System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();

    /// <summary>"cpu family" from /proc/cpuinfo (AMD Zen 4 is 25, Zen 5 is 26), or 0 where absent.</summary>
    public static int Family { get; } =
        int.TryParse(CpuInfoField("cpu family"), CultureInfo.InvariantCulture, out int f) ? f : 0;

    /// <summary>"cpu MHz" from /proc/cpuinfo (first core), or 0 where absent.</summary>
    public static double ReportedClockMHz { get; } =
        double.TryParse(CpuInfoField("cpu MHz"), CultureInfo.InvariantCulture, out double mhz) ? mhz : 0;

    /// <summary>The clock measured by timing dependent integer adds (MHz); computed once, on first use
    /// (~10 ms).</summary>
    public static double MeasuredClockMHz => Measured.Value;

    /// <summary>The clock the peak is computed from: the larger of <see cref="ReportedClockMHz"/> and
    /// <see cref="MeasuredClockMHz"/> (MHz).</summary>
    public static double ClockMHz => Math.Max(ReportedClockMHz, MeasuredClockMHz);

    /// <summary>Where <see cref="ClockMHz"/> came from, for people.</summary>
    public static string ClockSource => MeasuredClockMHz > ReportedClockMHz
        ? $"measured {MeasuredClockMHz:F0} MHz (/proc/cpuinfo says {ReportedClockMHz:F0})"
        : $"/proc/cpuinfo {ReportedClockMHz:F0} MHz";

    /// <summary>True when the CPU executes fused multiply-add in hardware (x86 FMA3 or ARM64 AdvSIMD).</summary>
    public static bool HasFma => Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;

    /// <summary>The level <see cref="SimdLevel.Auto"/> resolves to on this CPU.</summary>
    public static SimdLevel BestSimd => Vector512.IsHardwareAccelerated && Avx512F.IsSupported
        ? SimdLevel.Avx512 : SimdLevel.Avx2;

    /// <summary>Width, in bits, of one FMA pipe (see the class remarks for the sources).</summary>
    public static int FmaPipeBits
    {
        get
        {
            if (!HasFma) return 128;
            bool amd = Vendor == "AuthenticAMD", intel = Vendor == "GenuineIntel";
            if (Avx512F.IsSupported && (intel || (amd && Family >= 26))) return 512;
            if (Avx.IsSupported) return 256;
            return 128;
        }
    }

    /// <summary>FMA pipes per core: 2 on every x86 core with FMA3 this project targets.</summary>
    public const int FmaPipes = 2;

    /// <summary>Peak fp32 GFLOP/s of <paramref name="cores"/> cores, <b>measured</b> by <see cref="FmaPeak"/> (the
    /// figure <c>digits devices</c>, <c>bench</c> and the README use).</summary>
    public static double PeakGflops(int cores) => FmaPeak.Measured.Gflops(cores);

    /// <summary>The peak as the vendors' manuals would have it, for comparison with <see cref="PeakGflops"/>: cores ×
    /// <see cref="FmaPipes"/> × (<see cref="FmaPipeBits"/>/32 lanes) × 2 × <see cref="ClockMHz"/>/1000. Without
    /// hardware FMA the pipes count as one multiply or add each, i.e. half. On a 2-vCPU Zen 4 under KVM it said
    /// 236 GFLOP/s where the probe measures ~410: Zen 4 issues two 512-bit FMAs per cycle per core there.</summary>
    public static double EstimatedPeakGflops(int cores) =>
        cores * FmaPipes * (FmaPipeBits / 32) * (HasFma ? 2 : 1) * ClockMHz / 1000.0;

    private static string? CpuInfoField(string name)
    {
        try
        {
            if (!File.Exists("/proc/cpuinfo")) return null;
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
            {
                int colon = line.IndexOf(':');
                if (colon > 0 && line.AsSpan(0, colon).Trim().SequenceEqual(name))
                    return line[(colon + 1)..].Trim();
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return null;
    }

    /// <summary>Best of a few ~2 ms timings of 8 dependent adds/xors per iteration (one cycle each).</summary>
    private static double MeasureClockMHz()
    {
        ulong seed = (ulong)Environment.TickCount64 | 1;
        double best = 0;
        for (int attempt = 0; attempt < 5; attempt++)
        {
            const long iterations = 1_000_000;
            long start = Stopwatch.GetTimestamp();
            ulong x = DependentChain(iterations, seed, seed >> 3);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (x == 42) seed++; // keeps the chain's result alive
            best = Math.Max(best, iterations * 8 / seconds / 1e6);
        }
        return best;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static ulong DependentChain(long iterations, ulong a, ulong b)
    {
        ulong x = a;
        for (long i = 0; i < iterations; i++)
        {
            x += b; x ^= a; x += b; x ^= a;
            x += b; x ^= a; x += b; x ^= a;
        }
        return x;
    }
}
