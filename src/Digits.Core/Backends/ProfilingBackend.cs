using System.Diagnostics;

namespace Digits.Core.Backends;

/// <summary>
/// Wraps a backend and times every op it forwards, per op and shape (<c>digits bench --profile</c>): where a
/// training epoch's time goes. On an asynchronous device (a GPU) each op is followed by
/// <see cref="IBackend.Synchronize"/> so its time is its own, which removes the overlap of launches and (because
/// the wrapper is not an <see cref="IStepCapture"/>) CUDA graphs: the profile explains a step, it does not time the
/// fastest one. On the CPU backends ops finish before they return, and the wrapper adds about 50 ns per op.
/// </summary>
public sealed class ProfilingBackend(IBackend inner, bool synchronizeEachOp) : IBackend
{
    /// <summary>One op at one shape: calls, total seconds, and floating-point operations per call where the op is a
    /// GEMM (2·B·I·O), else 0.</summary>
    public sealed record Entry(string Op, string Shape, long Calls, double Seconds, double FlopsPerCall);

    private readonly Dictionary<(string Op, string Shape), (long Calls, long Ticks, double Flops)> _entries = new();

    /// <summary>Whether ops are being timed (off: forwarded untimed).</summary>
    public bool Recording { get; set; } = true;

    /// <summary>Everything timed since the last <see cref="Reset"/>, slowest first.</summary>
    public IReadOnlyList<Entry> Entries =>
        _entries.Select(e => new Entry(e.Key.Op, e.Key.Shape, e.Value.Calls, e.Value.Ticks / (double)Stopwatch.Frequency,
            e.Value.Flops)).OrderByDescending(e => e.Seconds).ToList();

    /// <summary>Forgets what was timed so far.</summary>
    public void Reset() => _entries.Clear();

    private void Time(string op, string shape, double flops, Action run)
    {
        long start = Stopwatch.GetTimestamp();
        run();
        if (Recording && synchronizeEachOp) inner.Synchronize();
        Add(op, shape, flops, start);
    }

    /// <summary>Counts one call of <paramref name="op"/> that began at <paramref name="start"/>, when recording.</summary>
    private void Add(string op, string shape, double flops, long start)
    {
        if (!Recording) return;
        long ticks = Stopwatch.GetTimestamp() - start;
        var key = (op, shape);
        _entries[key] = _entries.TryGetValue(key, out var e) ? (e.Calls + 1, e.Ticks + ticks, flops) : (1, ticks, flops);
    }

    private static string Gemm(int batch, int inputs, int outputs) => $"{batch}×{inputs}→{outputs}";

    public string Name => inner.Name;
    public string Description => inner.Description;
    public int LiveBuffers => inner.LiveBuffers;
    public long AllocatedBytes => inner.AllocatedBytes;
    public long PeakAllocatedBytes => inner.PeakAllocatedBytes;
    public long Launches => inner.Launches;
    public DeviceBuffer<T> Allocate<T>(int length) where T : unmanaged => inner.Allocate<T>(length);

    // Spans cannot enter a closure, so the copies are timed around the call rather than through Time.
    public void Upload<T>(ReadOnlySpan<T> source, BufferView<T> destination) where T : unmanaged
    {
        long start = Stopwatch.GetTimestamp();
        inner.Upload(source, destination);
        Add("Upload", "", 0, start);
    }

    public void Download<T>(BufferView<T> source, Span<T> destination) where T : unmanaged
    {
        long start = Stopwatch.GetTimestamp();
        inner.Download(source, destination);
        Add("Download", "", 0, start);
    }

    public void Fill(float value, BufferView<float> destination) =>
        Time("Fill", "", 0, () => inner.Fill(value, destination));

    public void Fill(int value, BufferView<int> destination) => Time("Fill", "", 0, () => inner.Fill(value, destination));

    public void Synchronize() => inner.Synchronize();

    public void LinearForward(BufferView<float> x, BufferView<float> weight, BufferView<float> bias, Activation activation,
        int batch, int inputs, int outputs, BufferView<float> y) =>
        Time("LinearForward", Gemm(batch, inputs, outputs), 2.0 * batch * inputs * outputs,
            () => inner.LinearForward(x, weight, bias, activation, batch, inputs, outputs, y));

    public void ActivationBackward(BufferView<float> y, BufferView<float> dy, Activation activation, int count,
        BufferView<float> dz) =>
        Time("ActivationBackward", count.ToString(), 0, () => inner.ActivationBackward(y, dy, activation, count, dz));

    public void LinearBackwardInput(BufferView<float> dz, BufferView<float> weight, int batch, int inputs, int outputs,
        BufferView<float> dx) =>
        Time("LinearBackwardInput", Gemm(batch, inputs, outputs), 2.0 * batch * inputs * outputs,
            () => inner.LinearBackwardInput(dz, weight, batch, inputs, outputs, dx));

    public void LinearBackwardWeight(BufferView<float> x, BufferView<float> dz, int batch, int inputs, int outputs,
        BufferView<float> dWeight) =>
        Time("LinearBackwardWeight", Gemm(batch, inputs, outputs), 2.0 * batch * inputs * outputs,
            () => inner.LinearBackwardWeight(x, dz, batch, inputs, outputs, dWeight));

    public void BiasBackward(BufferView<float> dz, int batch, int outputs, BufferView<float> dBias) =>
        Time("BiasBackward", $"{batch}×{outputs}", 0, () => inner.BiasBackward(dz, batch, outputs, dBias));

    public void SoftmaxCrossEntropy(BufferView<float> logits, BufferView<int> labels, int batch, int classes, float scale,
        BufferView<float> dLogits, BufferView<float> lossSum) =>
        Time("SoftmaxCrossEntropy", $"{batch}×{classes}", 0,
            () => inner.SoftmaxCrossEntropy(logits, labels, batch, classes, scale, dLogits, lossSum));

    public void QuadraticCost(BufferView<float> outputs, BufferView<int> labels, int batch, int classes, float scale,
        BufferView<float> dPre, BufferView<float> lossSum) =>
        Time("QuadraticCost", $"{batch}×{classes}", 0,
            () => inner.QuadraticCost(outputs, labels, batch, classes, scale, dPre, lossSum));

    public void Argmax(BufferView<float> scores, int batch, int classes, BufferView<int> predictions) =>
        Time("Argmax", $"{batch}×{classes}", 0, () => inner.Argmax(scores, batch, classes, predictions));

    public void CountCorrect(BufferView<float> scores, BufferView<int> labels, int batch, int classes,
        BufferView<int> correct) =>
        Time("CountCorrect", $"{batch}×{classes}", 0, () => inner.CountCorrect(scores, labels, batch, classes, correct));

    public void Dropout(BufferView<float> x, BufferView<int> counter, in DropoutParameters dropout, int count,
        BufferView<float> y)
    {
        var d = dropout;
        Time("Dropout", count.ToString(), 0, () => inner.Dropout(x, counter, d, count, y));
    }

    public void MaxNorm(BufferView<float> weight, int outputs, int inputs, float maxNorm) =>
        Time("MaxNorm", $"{outputs}×{inputs}", 0, () => inner.MaxNorm(weight, outputs, inputs, maxNorm));

    public void Augment(BufferView<float> x, BufferView<int> counter, in AugmentParameters augment, int batch,
        BufferView<float> gaussian, BufferView<float> field, BufferView<float> y)
    {
        var a = augment;
        Time("Augment", $"{batch}×{a.Height}×{a.Width}", 0, () => inner.Augment(x, counter, a, batch, gaussian, field, y));
    }

    public void GatherBatch(BufferView<float> images, BufferView<int> labels, BufferView<int> indices,
        BufferView<int> counter, int stride, int batch, int features, BufferView<float> x, BufferView<int> y) =>
        Time("GatherBatch", $"{batch}×{features}", 0,
            () => inner.GatherBatch(images, labels, indices, counter, stride, batch, features, x, y));

    public void SgdStep(BufferView<float> gradients, int count, int decayCount, BufferView<float> schedule,
        BufferView<int> counter, float weightDecay, BufferView<float> parameters) =>
        Time("SgdStep", count.ToString(), 0,
            () => inner.SgdStep(gradients, count, decayCount, schedule, counter, weightDecay, parameters));

    public void MomentumStep(BufferView<float> gradients, int count, int decayCount, BufferView<float> schedule,
        BufferView<int> counter, float momentum, float weightDecay, BufferView<float> velocity,
        BufferView<float> parameters) =>
        Time("MomentumStep", count.ToString(), 0, () => inner.MomentumStep(gradients, count, decayCount, schedule, counter,
            momentum, weightDecay, velocity, parameters));

    public void AdamStep(BufferView<float> gradients, int count, int decayCount, in AdamParameters adam,
        BufferView<float> schedule, BufferView<int> counter, BufferView<float> m, BufferView<float> v,
        BufferView<float> parameters)
    {
        var a = adam;
        Time("AdamStep", count.ToString(), 0,
            () => inner.AdamStep(gradients, count, decayCount, a, schedule, counter, m, v, parameters));
    }

    public void AdvanceStep(BufferView<int> counter, BufferView<float> lossSum) =>
        Time("AdvanceStep", "", 0, () => inner.AdvanceStep(counter, lossSum));

    /// <summary>Does not dispose the wrapped backend (its owner does).</summary>
    public void Dispose()
    {
    }
}
