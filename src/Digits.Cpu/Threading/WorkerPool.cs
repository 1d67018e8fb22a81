using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Digits.Cpu.Threading;

/// <summary>One op's work, split into <c>parts</c> pieces that may run at the same time. Implementations are
/// allocated once and reconfigured per call, so a dispatch allocates nothing.</summary>
internal abstract class ParallelWork
{
    /// <summary>Runs piece <paramref name="part"/> of <paramref name="parts"/>. The piece must depend only on
    /// (part, parts) — never on which thread runs it or when — so results are deterministic.</summary>
    public abstract void Execute(int part, int parts);
}

/// <summary>
/// A persistent pool of <c>threads − 1</c> workers plus the calling thread, built for µs-scale ops: a dispatch
/// is a generation counter bump that spinning workers see within ~100 ns, and the caller runs piece 0 itself.
/// Workers spin for <see cref="SpinMicroseconds"/> after their last piece (long enough to bridge the gaps
/// between the ops of a training step), then sleep on a semaphore until the next dispatch.
/// Not thread-safe: one caller at a time (the backend's ops are called from one thread).
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    /// <summary>How long an idle worker spins before it sleeps (µs).</summary>
    public const int SpinMicroseconds = 2000;

    private readonly Worker[] _workers;
    private ParallelWork? _work;
    private int _parts;
    private long _generation;
    private int _pending;
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

    /// <summary>Threads that run pieces, the caller included.</summary>
    public int Threads { get; }

    /// <summary>Bytes the workers allocated while running pieces (the tests assert it stays 0 in training).</summary>
    public long WorkerAllocatedBytes => Interlocked.Read(ref _workerAllocatedBytes);

    /// <summary>Dispatches that woke workers (runs with more than one part).</summary>
    public long Dispatches => Interlocked.Read(ref _dispatches);

    /// <summary>Runs <c>work.Execute(p, parts)</c> for p in [0, parts) — piece 0 on the caller, piece p on worker
    /// p (only those are woken) — and returns when all have finished. Rethrows the first exception a piece threw.</summary>
    public void Run(ParallelWork work, int parts)
    {
        parts = Math.Clamp(parts, 1, Threads);
        if (parts == 1)
        {
            work.Execute(0, 1);
            return;
        }
        _dispatches++;
        _work = work;
        _parts = parts;
        Volatile.Write(ref _pending, parts - 1);
        long generation = _generation + 1;
        for (int w = 0; w < parts - 1; w++) Volatile.Write(ref _workers[w].Ticket, generation);
        Interlocked.Increment(ref _generation); // full fence: publishes _work, _parts, _pending, the tickets
        for (int w = 0; w < parts - 1; w++) _workers[w].WakeIfSleeping();
        try
        {
            work.Execute(0, parts);
        }
        finally
        {
            var spinner = new SpinWait();
            while (Volatile.Read(ref _pending) != 0) spinner.SpinOnce(sleep1Threshold: -1);
            _work = null;
        }
        var failure = Interlocked.Exchange(ref _failure, null);
        failure?.Throw();
    }

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

        /// <summary>The generation this worker has a piece in. A worker runs a generation only when its ticket
        /// names it, so one that lags behind a dispatch it had no piece in can never run a piece twice.</summary>
        public long Ticket;

        public Worker(WorkerPool pool, int index)
        {
            _pool = pool;
            _index = index;
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
            long seen = Volatile.Read(ref _pool._generation);
            long spinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;
            while (true)
            {
                long idleSince = Stopwatch.GetTimestamp();
                int spins = 0;
                long now;
                while ((now = Volatile.Read(ref _pool._generation)) == seen)
                {
                    Thread.SpinWait(4);
                    if ((++spins & 255) == 0 && Stopwatch.GetTimestamp() - idleSince > spinTicks)
                    {
                        Sleep(seen);
                        spins = 0;
                        idleSince = Stopwatch.GetTimestamp();
                    }
                }
                seen = now;
                if (_pool._stopping) return;
                if (Volatile.Read(ref Ticket) != now) continue;
                long allocated = GC.GetAllocatedBytesForCurrentThread();
                try
                {
                    _pool._work!.Execute(_index, _pool._parts);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _pool._failure, ExceptionDispatchInfo.Capture(e), null);
                }
                allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
                if (allocated != 0) Interlocked.Add(ref _pool._workerAllocatedBytes, allocated);
                Interlocked.Decrement(ref _pool._pending);
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
