using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Digits.Cpu;

/// <summary>
/// The CPU's fp32 FMA peak, <b>measured</b>: the GFLOP/s of <see cref="Chains"/> independent chains of fused
/// multiply-adds on the widest vector the runtime accelerates (512-bit where AVX-512 is, else 256-bit, else
/// 128-bit), first on one thread, then on <see cref="Result.Threads"/> threads at once (one per logical core).
/// Each chain is <c>acc = acc·m + a</c>; twelve chains cover the FMA latency (4 cycles) times two pipes, so the
/// loop is bound by FMA throughput alone, as a GEMM micro-kernel at its best is. Every FMA counts 2 flops.
/// <para>
/// Why measure instead of computing cores × pipes × lanes × 2 × clock: the pipe count and width are not in CPUID,
/// the clock under a hypervisor is not what /proc/cpuinfo says, and an estimate that guessed them disagreed
/// with itself (236 GFLOP/s in the README, ~420 in <c>digits devices</c> on the same 2-vCPU Zen 4). The probe takes
/// about 0.2 s (best of a few 20 ms runs per thread count), runs once per process, and its figure is the one
/// <c>digits devices</c>, <c>digits bench</c> and the README use.
/// </para>
/// </summary>
public static class FmaPeak
{
    /// <summary>Independent accumulator chains per thread.</summary>
    public const int Chains = 12;

    /// <summary>One measurement: GFLOP/s on 1 thread and on <see cref="Threads"/> threads, and how it was taken.
    /// </summary>
    /// <param name="SingleThreadGflops">GFLOP/s of one thread.</param>
    /// <param name="AllThreadsGflops">GFLOP/s of <paramref name="Threads"/> threads together.</param>
    /// <param name="Threads">Threads of the second figure: <see cref="Environment.ProcessorCount"/>.</param>
    /// <param name="VectorBits">Width of the vectors used: 512, 256 or 128.</param>
    /// <param name="Seconds">Wall time the probe took.</param>
    public sealed record Result(double SingleThreadGflops, double AllThreadsGflops, int Threads, int VectorBits,
        double Seconds)
    {
        /// <summary>The peak of <paramref name="threads"/> threads: the single-thread figure times the threads, up to
        /// the all-threads figure (more threads than cores add nothing).</summary>
        public double Gflops(int threads) => threads <= 1
            ? SingleThreadGflops
            : Math.Min(AllThreadsGflops, Math.Max(SingleThreadGflops, SingleThreadGflops * threads));

        /// <summary>How it was measured, for people: "measured: 1 thread 207, 2 threads 412 GFLOP/s of independent
        /// 512-bit FMAs (12 chains per thread)".</summary>
        public string Method =>
            $"measured: 1 thread {SingleThreadGflops:0}, {Threads} thread{(Threads == 1 ? "" : "s")} {AllThreadsGflops:0} " +
            $"GFLOP/s of independent {VectorBits}-bit FMAs ({Chains} chains per thread)";
    }

    private static readonly Lazy<Result>[] Cached = [Probe(128), Probe(256), Probe(512)];

    private static Lazy<Result> Probe(int bits) =>
        new(() => Measure(Environment.ProcessorCount, bits: bits), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>This process's measurement at the widest vector (<see cref="VectorBits"/>), taken on first use
    /// (~0.2 s) and kept.</summary>
    public static Result Measured => MeasuredAt(VectorBits);

    /// <summary>This process's measurement with <paramref name="vectorBits"/>-bit FMAs (128, 256 or 512, at most
    /// <see cref="VectorBits"/>), taken on first use and kept: the peak of a backend whose kernels are forced to a
    /// narrower width (<c>--simd avx2</c> on an AVX-512 CPU) is that width's, which on a CPU with 512-bit FMA
    /// pipes is half the 512-bit figure.</summary>
    /// <exception cref="ArgumentOutOfRangeException">a width other than 128, 256 or 512, or one wider than the
    /// runtime accelerates.</exception>
    public static Result MeasuredAt(int vectorBits)
    {
        if (vectorBits is not (128 or 256 or 512) || vectorBits > VectorBits)
            throw new ArgumentOutOfRangeException(nameof(vectorBits), vectorBits,
                $"FMA probe widths: 128, 256 or 512 bits, up to this runtime's {VectorBits}");
        return Cached[vectorBits switch { 128 => 0, 256 => 1, _ => 2 }].Value;
    }

    /// <summary>The vector width the probe uses on this CPU, in bits.</summary>
    public static int VectorBits => Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 128;

    /// <summary>Measures afresh with <paramref name="bits"/>-bit vectors (0 = <see cref="VectorBits"/>) on 1 and
    /// <paramref name="threads"/> threads, each the best of
    /// <paramref name="runs"/> runs of about <paramref name="runSeconds"/> (up to 4 × as many while the threads
    /// have not scaled, as happens when other processes hold cores).</summary>
    public static Result Measure(int threads, int runs = 3, double runSeconds = 0.02, int bits = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var total = Stopwatch.StartNew();
        if (bits == 0) bits = VectorBits;
        // Calibrate the iteration count to ~runSeconds on one thread (this also compiles the loop).
        long iterations = 1 << 14;
        while (true)
        {
            double s = TimeOne(bits, iterations);
            if (s >= runSeconds / 4 || iterations >= 1L << 34)
            {
                iterations = Math.Max(1, (long)(iterations * runSeconds / Math.Max(s, 1e-9)));
                break;
            }
            iterations *= 4;
        }
        double flopsPerThread = 2.0 * Chains * (bits / 32) * iterations;
        double single = 0, all = 0;
        // On a shared machine other processes may hold some cores during a run; while the threads have not yet
        // scaled (all < 0.9 × threads × single), a few more runs are tried, within about 20 runs' time in all.
        for (int r = 0; r < runs || (r < 4 * runs && all < 0.9 * threads * single); r++)
        {
            single = Math.Max(single, flopsPerThread / TimeOne(bits, iterations) / 1e9);
            all = Math.Max(all, threads * flopsPerThread / TimeMany(bits, iterations, threads) / 1e9);
        }
        return new Result(single, Math.Max(all, single), threads, bits, total.Elapsed.TotalSeconds);
    }

    private static double TimeOne(int bits, long iterations)
    {
        long start = Stopwatch.GetTimestamp();
        Sink(Run(bits, iterations));
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>Wall time of <paramref name="threads"/> threads each running the chains, started together.</summary>
    private static double TimeMany(int bits, long iterations, int threads)
    {
        using var ready = new CountdownEvent(threads);
        using var go = new ManualResetEventSlim(false);
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            workers[t] = new Thread(() =>
            {
                ready.Signal();
                go.Wait();
                Sink(Run(bits, iterations));
            }) { IsBackground = true, Priority = ThreadPriority.AboveNormal };
            workers[t].Start();
        }
        ready.Wait();
        long start = Stopwatch.GetTimestamp();
        go.Set();
        foreach (var w in workers) w.Join();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static float _sink;

    private static void Sink(float value) => Volatile.Write(ref _sink, value);

    private static float Run(int bits, long iterations) => bits switch
    {
        512 => Chains512(iterations),
        256 => Chains256(iterations),
        _ => Chains128(iterations),
    };

    // Twelve accumulators, each acc = acc·m + a; m slightly below 1 and a small keep every value finite and normal.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains512(long iterations)
    {
        var m = Vector512.Create(0.999999f);
        var a = Vector512.Create(1e-6f);
        Vector512<float> c0 = Vector512.Create(0.1f), c1 = c0 + a, c2 = c1 + a, c3 = c2 + a, c4 = c3 + a, c5 = c4 + a,
            c6 = c5 + a, c7 = c6 + a, c8 = c7 + a, c9 = c8 + a, c10 = c9 + a, c11 = c10 + a;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, m, a); c1 = Vector512.FusedMultiplyAdd(c1, m, a);
            c2 = Vector512.FusedMultiplyAdd(c2, m, a); c3 = Vector512.FusedMultiplyAdd(c3, m, a);
            c4 = Vector512.FusedMultiplyAdd(c4, m, a); c5 = Vector512.FusedMultiplyAdd(c5, m, a);
            c6 = Vector512.FusedMultiplyAdd(c6, m, a); c7 = Vector512.FusedMultiplyAdd(c7, m, a);
            c8 = Vector512.FusedMultiplyAdd(c8, m, a); c9 = Vector512.FusedMultiplyAdd(c9, m, a);
            c10 = Vector512.FusedMultiplyAdd(c10, m, a); c11 = Vector512.FusedMultiplyAdd(c11, m, a);
        }
        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains256(long iterations)
    {
        var m = Vector256.Create(0.999999f);
        var a = Vector256.Create(1e-6f);
        Vector256<float> c0 = Vector256.Create(0.1f), c1 = c0 + a, c2 = c1 + a, c3 = c2 + a, c4 = c3 + a, c5 = c4 + a,
            c6 = c5 + a, c7 = c6 + a, c8 = c7 + a, c9 = c8 + a, c10 = c9 + a, c11 = c10 + a;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, m, a); c1 = Vector256.FusedMultiplyAdd(c1, m, a);
            c2 = Vector256.FusedMultiplyAdd(c2, m, a); c3 = Vector256.FusedMultiplyAdd(c3, m, a);
            c4 = Vector256.FusedMultiplyAdd(c4, m, a); c5 = Vector256.FusedMultiplyAdd(c5, m, a);
            c6 = Vector256.FusedMultiplyAdd(c6, m, a); c7 = Vector256.FusedMultiplyAdd(c7, m, a);
            c8 = Vector256.FusedMultiplyAdd(c8, m, a); c9 = Vector256.FusedMultiplyAdd(c9, m, a);
            c10 = Vector256.FusedMultiplyAdd(c10, m, a); c11 = Vector256.FusedMultiplyAdd(c11, m, a);
        }
        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains128(long iterations)
    {
        var m = Vector128.Create(0.999999f);
        var a = Vector128.Create(1e-6f);
        Vector128<float> c0 = Vector128.Create(0.1f), c1 = c0 + a, c2 = c1 + a, c3 = c2 + a, c4 = c3 + a, c5 = c4 + a,
            c6 = c5 + a, c7 = c6 + a, c8 = c7 + a, c9 = c8 + a, c10 = c9 + a, c11 = c10 + a;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector128.FusedMultiplyAdd(c0, m, a); c1 = Vector128.FusedMultiplyAdd(c1, m, a);
            c2 = Vector128.FusedMultiplyAdd(c2, m, a); c3 = Vector128.FusedMultiplyAdd(c3, m, a);
            c4 = Vector128.FusedMultiplyAdd(c4, m, a); c5 = Vector128.FusedMultiplyAdd(c5, m, a);
            c6 = Vector128.FusedMultiplyAdd(c6, m, a); c7 = Vector128.FusedMultiplyAdd(c7, m, a);
            c8 = Vector128.FusedMultiplyAdd(c8, m, a); c9 = Vector128.FusedMultiplyAdd(c9, m, a);
            c10 = Vector128.FusedMultiplyAdd(c10, m, a); c11 = Vector128.FusedMultiplyAdd(c11, m, a);
        }
        return Vector128.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }
}
