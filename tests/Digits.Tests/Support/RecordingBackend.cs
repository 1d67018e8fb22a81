using Digits.Core.Backends;
using Digits.Cpu;

namespace Digits.Tests.Support;

/// <summary>
/// The reference backend with <see cref="IStepCapture"/> behaving as CUDA stream capture does, so the trainer's
/// graph path can be checked without a GPU: ops issued while recording are stored with the arguments they were
/// issued with and not run; <see cref="IStepGraph.Launch"/> runs them all again with those same arguments (counting
/// one launch). A step whose replay depended on anything but device memory (a host scalar that changes per step)
/// would therefore go wrong here exactly as on CUDA. Host transfers, allocation and synchronization inside a
/// recording throw, as they are illegal in a CUDA capture. It is its own <see cref="BackendBase.Interceptor"/>, so it
/// records every op of <see cref="IBackend"/> — the device-driven forms, which re-read the counter and the schedule
/// when replayed, as a CUDA graph's kernels do — with no code per op.
/// </summary>
public sealed class RecordingBackend : ReferenceBackend, IStepCapture, IOpInterceptor
{
    private List<Action>? _recording;
    private bool _invalidated;
    private long _launchesBefore;

    public RecordingBackend() => Interceptor = this;

    /// <summary>Makes <see cref="TryBeginCapture"/> refuse (as a driver without graph support would).</summary>
    public bool RefuseCapture { get; init; }

    /// <summary>Makes <see cref="EndCapture"/> fail (as an illegal op during capture would).</summary>
    public bool FailRecording { get; init; }

    /// <summary>Makes the op issued while recording after this many others throw, as an op CUDA capture rejects
    /// would: the ops before it stay recorded, not run, and the recording is invalidated (<see cref="EndCapture"/>
    /// then fails, as <c>cuStreamEndCapture</c> does); −1 (default): none does.</summary>
    public int ThrowAtRecordedOp { get; init; } = -1;

    /// <summary>Graphs recorded, and graph launches replayed.</summary>
    public int Recordings { get; private set; }

    public int Replays { get; private set; }

    public bool CaptureEnabled => true;

    public bool TryBeginCapture(out string reason)
    {
        if (_recording is not null) throw new InvalidOperationException("already recording");
        if (RefuseCapture)
        {
            reason = "this test backend refuses to record";
            return false;
        }
        _recording = [];
        _launchesBefore = Launches;
        reason = "";
        return true;
    }

    public IStepGraph? EndCapture(out string reason)
    {
        var ops = _recording ?? throw new InvalidOperationException("not recording");
        _recording = null;
        Launches = _launchesBefore; // recorded ops are not launches; each replay counts one
        if (FailRecording || _invalidated)
        {
            reason = _invalidated ? "the recording was invalidated" : "this test backend fails its recordings";
            _invalidated = false;
            return null;
        }
        Recordings++;
        reason = "";
        return new Graph(this, ops);
    }

    /// <summary>Runs the work, or, while recording, keeps an op for the graph and refuses anything else.</summary>
    public void Intercept(in OpInfo op, Action run)
    {
        if (_recording is null) run();
        else if (op.Kind == OpKind.Launch && _recording.Count == ThrowAtRecordedOp)
        {
            _invalidated = true;
            throw new InvalidOperationException($"this test backend fails op {ThrowAtRecordedOp + 1} of a recorded step");
        }
        else if (op.Kind == OpKind.Launch) _recording.Add(run);
        else throw new InvalidOperationException($"{op.Name} ({op.Kind}) inside a recorded step");
    }

    private sealed class Graph(RecordingBackend owner, List<Action> ops) : IStepGraph
    {
        private bool _disposed;

        public void Launch()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            owner.Launches++;
            owner.Replays++;
            foreach (var op in ops) op();
        }

        public void Dispose() => _disposed = true;
    }
}
