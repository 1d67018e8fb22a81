using System.Diagnostics;
using Digits.Cpu.Threading;

namespace Digits.Benchmarks;

/// <summary><c>--quick --pool</c>: what a dispatch to the worker pool costs (empty chunks), and how chunks of
/// 100 µs of work are shared between the threads (evenly on an idle machine).</summary>
internal static class PoolBench
{
    private sealed class Spin(int microseconds) : ParallelWork
    {
        public readonly long[] ByThread = new long[64];

        public override void Execute(int chunk, int chunks, int thread)
        {
            ByThread[thread]++;
            long until = Stopwatch.GetTimestamp() + Stopwatch.Frequency * microseconds / 1_000_000;
            while (Stopwatch.GetTimestamp() < until)
            {
            }
        }
    }

    public static int Run(int threads)
    {
        using var pool = new WorkerPool(Math.Max(threads, 2));
        var empty = new Spin(0);
        var (best, median, _) = QuickBench.Time(() => pool.Run(empty, pool.Threads), 1);
        Console.WriteLine($"dispatch of {pool.Threads} empty chunks to {pool.Threads} threads: " +
                          $"best {best * 1e6:F2} µs, " +
                          $"median {median * 1e6:F2} µs");
        var busy = new Spin(100);
        for (int k = 0; k < 500; k++) pool.Run(busy, 4 * pool.Threads);
        string shares = string.Join(", ", busy.ByThread.Take(pool.Threads));
        Console.WriteLine($"chunks of 100 µs run by each thread: {shares}");
        return 0;
    }
}
