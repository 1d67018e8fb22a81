using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Runtime.CompilerServices;

namespace Digits.Cpu.Threading;

/// <summary>One op's work, cut into <c>chunks</c> pieces that may run at the same time. Implementations are
/// allocated once and reconfigured per call, so a dispatch allocates nothing.</summary>
internal abstract class ParallelWork
{
    /// <summary>Runs chunk <paramref name="chunk"/> of <paramref name="chunks"/> on pool thread
    /// <paramref name="thread"/> (0 = the caller). What a chunk computes must depend only on (chunk, chunks) —
    /// the thread index only picks per-thread scratch — so results are the same whoever runs it.</summary>
    public abstract void Execute(int chunk, int chunks, int thread);
}

/// <summary>
/// A persistent pool of <c>threads − 1</c> workers plus the calling thread, built for µs-scale ops.
/// <para>A dispatch publishes the work and bumps a generation counter that spinning workers see within
/// ~100 ns; then every participant, the caller included, claims chunks from a shared counter until none
/// are left. Claiming (rather than a fixed chunk per thread) means a worker the OS has descheduled — common
/// when other processes share the cores — delays the op by at most the chunk it holds, instead of its whole
/// share. The claim counter carries the generation, so a worker that wakes late can never claim a chunk of
/// a dispatch that has finished.</para>
/// <para>Idle workers spin (with pauses and yields) for <see cref="SpinMicroseconds"/>, long enough to bridge
/// the gaps between a training step's ops, then sleep on a semaphore until the next dispatch.
/// Not thread-safe: one caller at a time (the backend's ops are called from one thread).</para>
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    /// <summary>How long an idle worker spins before it sleeps (µs).</summary>
    public const int SpinMicroseconds = 2000;

    private readonly Worker[] _workers;
    private ParallelWork? _work;
    private int _chunks;
    private long _generation;
    private long _claims; // (generation mod 2³¹) << 32 | next chunk
    private int _done;
    private volatile bool _stopping;
    private ExceptionDispatchInfo? _failure;
    private long _workerAllocatedBytes;
    private long _dispatches;

    public WorkerPool(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
        _workers = new Worker[threads - 1];
        for (int w = 0; w < _workers.Length; w++)
        {
            _workers[w] = new Worker(this, w + 1);
            _workers[w].Thread.Start();
        }
    }

    /// <summary>Threads that run chunks, the caller included.</summary>
    public int Threads { get; }

    /// <summary>Bytes the workers allocated while running chunks (the tests assert it stays 0 in training).</summary>
    public long WorkerAllocatedBytes => Interlocked.Read(ref _workerAllocatedBytes);

    /// <summary>Dispatches that woke workers (runs of more than one chunk).</summary>
    public long Dispatches => Interlocked.Read(ref _dispatches);

    /// <summary>Runs <c>work.Execute(c, chunks, thread)</c> once for every c in [0, chunks), on the caller and up
    /// to chunks − 1 workers (only those are woken), and returns when all have finished. Rethrows the first
    /// exception a chunk threw.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(ParallelWork work, int chunks)
    {
        chunks = Math.Max(chunks, 1);
        if (chunks == 1 || Threads == 1)
        {
            for (int c = 0; c < chunks; c++) work.Execute(c, chunks, 0);
            return;
        }
        _dispatches++;
        long generation = _generation + 1;
        _work = work;
        _chunks = chunks;
        Volatile.Write(ref _done, 0);
        Volatile.Write(ref _claims, Tag(generation) << 32);
        Interlocked.Exchange(ref _generation, generation); // full fence: publishes all of the above
        int helpers = Math.Min(chunks, Threads) - 1;
        for (int w = 0; w < helpers; w++) _workers[w].WakeIfSleeping();
        RunChunks(generation, 0);
        var spinner = new SpinWait();
        while (Volatile.Read(ref _done) != chunks) spinner.SpinOnce(sleep1Threshold: -1);
        _work = null;
        var failure = Interlocked.Exchange(ref _failure, null);
        failure?.Throw();
    }

    /// <summary>Claims and runs chunks of <paramref name="generation"/> until none are left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunChunks(long generation, int thread)
    {
        while (true)
        {
            long claims = Volatile.Read(ref _claims);
            int chunk = (int)(claims & 0xFFFF_FFFF);
            if (claims >> 32 != Tag(generation) || chunk >= _chunks) return;
            if (Interlocked.CompareExchange(ref _claims, claims + 1, claims) != claims) continue;
            try
            {
                _work!.Execute(chunk, _chunks, thread);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
            }
            Interlocked.Increment(ref _done);
        }
    }

    private static long Tag(long generation) => generation & 0x7FFF_FFFF;

    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        Interlocked.Increment(ref _generation);
        foreach (var w in _workers) w.WakeIfSleeping();
        foreach (var w in _workers) w.Thread.Join();
        foreach (var w in _workers) w.Dispose();
    }

    private sealed class Worker : IDisposable
    {
        private readonly WorkerPool _pool;
        private readonly int _index;
        private readonly SemaphoreSlim _wake = new(0);
        private int _sleeping;

        // The generation when the worker was made, read before its thread starts: a worker that first runs
        // after a dispatch (or after Dispose) still sees that generation change and does not wait forever.
        private readonly long _startGeneration;

        public Worker(WorkerPool pool, int index)
        {
            _pool = pool;
            _index = index;
            _startGeneration = Volatile.Read(ref pool._generation);
            Thread = new Thread(Loop) { IsBackground = true, Name = $"digits-cpu-{index}" };
        }

        public Thread Thread { get; }

        /// <summary>Called by the dispatcher after the generation bump: releases the worker if it committed to
        /// sleeping. The exchange pairs each release with exactly one wait (see <see cref="Sleep"/>).</summary>
        public void WakeIfSleeping()
        {
            if (Interlocked.Exchange(ref _sleeping, 0) == 1) _wake.Release();
        }

        private void Loop()
        {
            long seen = _startGeneration;
            long spinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;
            while (true)
            {
                long idleSince = Stopwatch.GetTimestamp();
                int spins = 0;
                long now;
                while ((now = Volatile.Read(ref _pool._generation)) == seen)
                {
                    Thread.SpinWait(8);
                    if ((++spins & 63) != 0) continue;
                    Thread.Yield(); // lets another runnable thread on this core go first; ~free when none is
                    if (Stopwatch.GetTimestamp() - idleSince > spinTicks)
                    {
                        Sleep(seen);
                        idleSince = Stopwatch.GetTimestamp();
                    }
                }
                seen = now;
                if (_pool._stopping) return;
                long allocated = GC.GetAllocatedBytesForCurrentThread();
                _pool.RunChunks(now, _index);
                allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
                if (allocated != 0) Interlocked.Add(ref _pool._workerAllocatedBytes, allocated);
            }
        }

        /// <summary>Commits to sleeping, then re-checks the generation (the exchange is a full fence, so either we
        /// see the new generation or the dispatcher sees <c>_sleeping == 1</c>). If the dispatcher already took
        /// the flag back, its release is coming and must be consumed.</summary>
        private void Sleep(long seen)
        {
            Interlocked.Exchange(ref _sleeping, 1);
            if (Volatile.Read(ref _pool._generation) == seen)
            {
                _wake.Wait();
                return;
            }
            if (Interlocked.Exchange(ref _sleeping, 0) == 0) _wake.Wait();
        }

        public void Dispose() => _wake.Dispose();
    }
}
