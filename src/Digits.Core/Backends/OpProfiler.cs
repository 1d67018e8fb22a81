using System.Diagnostics;

namespace Digits.Core.Backends;

/// <summary>
/// Times every op and transfer of one backend, per op and shape (<c>digits bench --profile</c>): where a training
/// epoch's time goes. It is the backend's <see cref="BackendBase.Interceptor"/> from construction to
/// <see cref="Dispose"/>, so it needs no code per op. On an asynchronous device (a GPU) each op is followed by
/// <see cref="IBackend.Synchronize"/> so its time is its own, which removes the overlap of launches; train with step
/// graphs off (<c>Trainer.CaptureSteps = false</c>), since a recorded step can neither be timed op by op nor
/// synchronized inside. The profile explains a step, it does not time the fastest one. On the CPU backends ops
/// finish before they return, and the profiler adds two clock reads and a closure per op.
/// </summary>
public sealed class OpProfiler : IOpInterceptor, IDisposable
{
    /// <summary>One op at one shape: calls, total seconds, and floating-point operations per call where the op is a
    /// GEMM (2·B·I·O), else 0.</summary>
    public sealed record Entry(string Op, string Shape, long Calls, double Seconds, double FlopsPerCall);

    private readonly BackendBase _backend;
    private readonly bool _synchronizeEachOp;
    private readonly Dictionary<(string Op, string Shape), (long Calls, long Ticks, double Flops)> _entries = new();

    /// <summary>Starts watching <paramref name="backend"/> (replacing any interceptor it had).</summary>
    /// <param name="backend">The backend to time.</param>
    /// <param name="synchronizeEachOp">Wait for each op to finish before stopping its clock (asynchronous
    /// devices).</param>
    public OpProfiler(BackendBase backend, bool synchronizeEachOp)
    {
        _backend = backend;
        _synchronizeEachOp = synchronizeEachOp;
        backend.Interceptor = this;
    }

    /// <summary>Whether ops are being timed (off: they run untimed).</summary>
    public bool Recording { get; set; } = true;

    /// <summary>Everything timed since the last <see cref="Reset"/>, slowest first.</summary>
    public IReadOnlyList<Entry> Entries =>
        _entries.Select(e => new Entry(e.Key.Op, e.Key.Shape, e.Value.Calls,
            e.Value.Ticks / (double)Stopwatch.Frequency, e.Value.Flops)).OrderByDescending(e => e.Seconds).ToList();

    /// <summary>Forgets what was timed so far.</summary>
    public void Reset() => _entries.Clear();

    /// <summary>Runs <paramref name="run"/> now, timing ops and transfers (not allocations or synchronizations).
    /// </summary>
    public void Intercept(in OpInfo op, Action run)
    {
        if (!Recording || op.Kind is OpKind.Allocation or OpKind.Synchronization)
        {
            run();
            return;
        }
        long start = Stopwatch.GetTimestamp();
        run();
        if (_synchronizeEachOp && op.Kind == OpKind.Launch) _backend.Synchronize();
        long ticks = Stopwatch.GetTimestamp() - start;
        var key = (op.Name, op.Shape);
        _entries[key] = _entries.TryGetValue(key, out var e)
            ? (e.Calls + 1, e.Ticks + ticks, op.Flops)
            : (1, ticks, op.Flops);
    }

    /// <summary>Stops watching the backend (its ops run directly again); the backend itself is its owner's.</summary>
    public void Dispose()
    {
        if (ReferenceEquals(_backend.Interceptor, this)) _backend.Interceptor = null;
    }
}
