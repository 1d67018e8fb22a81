using Digits.Core.Backends;
using Digits.Cpu;

namespace Digits.Tests.Support;

/// <summary>
/// The reference backend with <see cref="IStepCapture"/> behaving as CUDA stream capture does, so the trainer's
/// graph path can be checked without a GPU: ops issued while recording are stored with the arguments they were
/// issued with and not run; <see cref="IStepGraph.Launch"/> runs them all again with those same arguments (counting
/// one launch). A step whose replay depended on anything but device memory (a host scalar that changes per step)
/// would therefore go wrong here exactly as on CUDA. Host transfers, allocation and synchronization inside a
/// recording throw, as they are illegal in a CUDA capture.
/// </summary>
public sealed class RecordingBackend : ReferenceBackend, IStepCapture
{
    private List<Action>? _recording;
    private bool _invalidated;
    private long _launchesBefore;

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

    private void Run(Action op)
    {
        if (_recording is null) op();
        else if (_recording.Count == ThrowAtRecordedOp)
        {
            _invalidated = true;
            throw new InvalidOperationException($"this test backend fails op {ThrowAtRecordedOp + 1} of a recorded step");
        }
        else _recording.Add(op);
    }

    private void NotWhileRecording(string what)
    {
        if (_recording is not null) throw new InvalidOperationException($"{what} inside a recorded step");
    }

    protected override DeviceBuffer<T> AllocateCore<T>(int length)
    {
        NotWhileRecording("allocation");
        return base.AllocateCore<T>(length);
    }

    protected override void UploadCore<T>(ReadOnlySpan<T> source, BufferView<T> destination)
    {
        NotWhileRecording("an upload");
        base.UploadCore(source, destination);
    }

    protected override void DownloadCore<T>(BufferView<T> source, Span<T> destination)
    {
        NotWhileRecording("a download");
        base.DownloadCore(source, destination);
    }

    protected override void SynchronizeCore()
    {
        NotWhileRecording("a synchronization");
        base.SynchronizeCore();
    }

    protected override void FillCore(float value, BufferView<float> destination) =>
        Run(() => base.FillCore(value, destination));

    protected override void FillCore(int value, BufferView<int> destination) =>
        Run(() => base.FillCore(value, destination));

    protected override void LinearForwardCore(BufferView<float> x, BufferView<float> weight, BufferView<float> bias,
        Activation activation, int batch, int inputs, int outputs, BufferView<float> y) =>
        Run(() => base.LinearForwardCore(x, weight, bias, activation, batch, inputs, outputs, y));

    protected override void ActivationBackwardCore(BufferView<float> y, BufferView<float> dy, Activation activation,
        int count, BufferView<float> dz) =>
        Run(() => base.ActivationBackwardCore(y, dy, activation, count, dz));

    protected override void LinearBackwardInputCore(BufferView<float> dz, BufferView<float> weight, int batch,
        int inputs, int outputs, BufferView<float> dx) =>
        Run(() => base.LinearBackwardInputCore(dz, weight, batch, inputs, outputs, dx));

    protected override void LinearBackwardWeightCore(BufferView<float> x, BufferView<float> dz, int batch,
        int inputs, int outputs, BufferView<float> dWeight) =>
        Run(() => base.LinearBackwardWeightCore(x, dz, batch, inputs, outputs, dWeight));

    protected override void BiasBackwardCore(BufferView<float> dz, int batch, int outputs, BufferView<float> dBias) =>
        Run(() => base.BiasBackwardCore(dz, batch, outputs, dBias));

    protected override void SoftmaxCrossEntropyCore(BufferView<float> logits, BufferView<int> labels, int batch,
        int classes, float scale, BufferView<float> dLogits, BufferView<float> lossSum) =>
        Run(() => base.SoftmaxCrossEntropyCore(logits, labels, batch, classes, scale, dLogits, lossSum));

    protected override void QuadraticCostCore(BufferView<float> outputs, BufferView<int> labels, int batch,
        int classes, float scale, BufferView<float> dPre, BufferView<float> lossSum) =>
        Run(() => base.QuadraticCostCore(outputs, labels, batch, classes, scale, dPre, lossSum));

    protected override void ArgmaxCore(BufferView<float> scores, int batch, int classes, BufferView<int> predictions) =>
        Run(() => base.ArgmaxCore(scores, batch, classes, predictions));

    protected override void CountCorrectCore(BufferView<float> scores, BufferView<int> labels, int batch, int classes,
        BufferView<int> correct) =>
        Run(() => base.CountCorrectCore(scores, labels, batch, classes, correct));

    // The device-driven forms are recorded (not the host-scalar arithmetic under them): a replay re-reads the
    // counter and the schedule, as a CUDA graph's kernels do.
    protected override void GatherBatchCore(BufferView<float> images, BufferView<int> labels, BufferView<int> indices,
        BufferView<int> counter, int stride, int batch, int features, BufferView<float> x, BufferView<int> y) =>
        Run(() => base.GatherBatchCore(images, labels, indices, counter, stride, batch, features, x, y));

    protected override void SgdStepCore(BufferView<float> gradients, int count, int decayCount,
        BufferView<float> schedule, BufferView<int> counter, float weightDecay, BufferView<float> parameters) =>
        Run(() => base.SgdStepCore(gradients, count, decayCount, schedule, counter, weightDecay, parameters));

    protected override void MomentumStepCore(BufferView<float> gradients, int count, int decayCount,
        BufferView<float> schedule, BufferView<int> counter, float momentum, float weightDecay,
        BufferView<float> velocity, BufferView<float> parameters) =>
        Run(() => base.MomentumStepCore(gradients, count, decayCount, schedule, counter, momentum, weightDecay,
            velocity, parameters));

    protected override void AdamStepCore(BufferView<float> gradients, int count, int decayCount,
        in AdamParameters adam, BufferView<float> schedule, BufferView<int> counter, BufferView<float> m,
        BufferView<float> v, BufferView<float> parameters)
    {
        var a = adam;
        Run(() => base.AdamStepCore(gradients, count, decayCount, a, schedule, counter, m, v, parameters));
    }

    protected override void AdvanceStepCore(BufferView<int> counter, BufferView<float> lossSum) =>
        Run(() => base.AdvanceStepCore(counter, lossSum));

    protected override void DropoutCore(BufferView<float> x, BufferView<int> counter, in DropoutParameters dropout,
        int count, BufferView<float> y)
    {
        var d = dropout;
        Run(() => base.DropoutCore(x, counter, d, count, y));
    }

    protected override void MaxNormCore(BufferView<float> weight, int outputs, int inputs, float maxNorm) =>
        Run(() => base.MaxNormCore(weight, outputs, inputs, maxNorm));

    protected override void AugmentCore(BufferView<float> x, BufferView<int> counter, in AugmentParameters augment,
        int batch, BufferView<float> gaussian, BufferView<float> field, BufferView<float> y)
    {
        var a = augment;
        Run(() => base.AugmentCore(x, counter, a, batch, gaussian, field, y));
    }
}
