using Digits.Core.Backends;

namespace Digits.Core.Model;

/// <summary>
/// An MLP resident on a backend for running it: the flat parameters (see <see cref="ParameterLayout"/>), an input
/// buffer and each layer's output activations sized for <see cref="MaxBatch"/> images, and the loss and correct-count
/// accumulators an evaluation adds to; no gradients and no optimizer state. <c>digits predict</c>, <c>serve</c>,
/// <c>evaluate</c>, <c>report</c> and <c>Digits.Api</c>'s <c>DigitClassifier</c> run a model through it; the training
/// network (<c>Digits.Core.Training.DeviceNetwork</c>) is one with gradients, deltas and optimizer state added.
/// Not thread-safe: one caller at a time.
/// </summary>
public class InferenceNetwork : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    private readonly DeviceBuffer<float>[] _activations = [];

    /// <summary>Allocates the network's buffers on <paramref name="backend"/> for batches of up to
    /// <paramref name="maxBatch"/> images and uploads <paramref name="model"/>'s parameters.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxBatch"/> is not positive.</exception>
    /// <exception cref="ArgumentException">a (maxBatch, width) activation tensor would have more elements than one
    /// buffer holds.</exception>
    public InferenceNetwork(IBackend backend, MlpModel model, int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
        CheckActivationSize(model.Spec, maxBatch,
            $"{nameof(maxBatch)} or narrower {nameof(MlpSpec)}.{nameof(MlpSpec.Widths)}");
        Backend = backend;
        Layout = model.Layout;
        MaxBatch = maxBatch;
        try
        {
            var spec = Layout.Spec;
            Parameters = Own(backend.Allocate<float>(Layout.Count));
            Input = Own(backend.Allocate<float>(checked(maxBatch * spec.Inputs)));
            _activations = new DeviceBuffer<float>[spec.Layers];
            for (int l = 0; l < spec.Layers; l++)
                _activations[l] = Own(backend.Allocate<float>(checked(maxBatch * spec.Widths[l + 1])));
            OutputDelta = Own(backend.Allocate<float>(checked(maxBatch * spec.Outputs)));
            LossSum = Own(backend.Allocate<float>(1));
            Correct = Own(backend.Allocate<int>(1));
            backend.Upload<float>(model.Parameters, Parameters.View());
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public IBackend Backend { get; }
    public ParameterLayout Layout { get; }
    public MlpSpec Spec => Layout.Spec;
    public int MaxBatch { get; }

    /// <summary>Every weight, then every bias, flat (see <see cref="ParameterLayout"/>).</summary>
    public DeviceBuffer<float> Parameters { get; } = null!;

    /// <summary>Images to run, (MaxBatch, I): uploaded here by <see cref="Probabilities(ReadOnlySpan{float})"/>,
    /// gathered here by the trainer.</summary>
    public DeviceBuffer<float> Input { get; } = null!;

    /// <summary>Σ loss over images since the last <see cref="ResetMetrics"/> (1 element, on the device).</summary>
    public DeviceBuffer<float> LossSum { get; } = null!;

    /// <summary>Correct predictions since the last <see cref="ResetMetrics"/> (1 element, on the device).</summary>
    public DeviceBuffer<int> Correct { get; } = null!;

    /// <summary>The output layer's delta (gradient w.r.t. its pre-activation) that <see cref="Loss"/> writes,
    /// (MaxBatch, O); the training network's backward pass starts from it.</summary>
    protected DeviceBuffer<float> OutputDelta { get; } = null!;

    /// <summary>Layer <paramref name="layer"/>'s output activations for <paramref name="batch"/> images,
    /// (B, O).</summary>
    public BufferView<float> Activations(int layer, int batch) =>
        _activations[layer].View(0, batch * Spec.Widths[layer + 1]);

    /// <summary>The network's output for the last forward pass: logits (CE) or sigmoid outputs (MSE), (B, C).</summary>
    public BufferView<float> Outputs(int batch) => Activations(Spec.Layers - 1, batch);

    /// <summary>Zeroes the loss and correct-count accumulators.</summary>
    public void ResetMetrics()
    {
        Backend.Fill(0f, LossSum.View());
        Backend.Fill(0, Correct.View());
    }

    /// <summary>Forward pass: x (B, I) → <see cref="Outputs"/> (B, C), bias and activation fused per layer.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is not in
    /// 1..<see cref="MaxBatch"/>.</exception>
    public void Forward(BufferView<float> x, int batch)
    {
        CheckBatch(batch);
        var spec = Spec;
        var input = x;
        for (int l = 0; l < spec.Layers; l++)
        {
            var y = Activations(l, batch);
            Backend.LinearForward(input, Layout.Weight(Parameters, l), Layout.Bias(Parameters, l),
                spec.ActivationOf(l), batch, spec.Widths[l], spec.Widths[l + 1], y);
            input = y;
        }
    }

    /// <summary>Adds the loss of the last <see cref="Forward"/> (and the count of correct predictions) to the
    /// accumulators, and writes the output layer's delta (gradient w.r.t. its pre-activation) scaled by
    /// <paramref name="scale"/> (0 when only the loss is wanted).</summary>
    public void Loss(BufferView<int> labels, int batch, float scale)
    {
        var outputs = Outputs(batch);
        var delta = OutputDelta.View(0, batch * Spec.Outputs);
        if (Spec.Loss == LossKind.CrossEntropy)
            Backend.SoftmaxCrossEntropy(outputs, labels, batch, Spec.Outputs, scale, delta, LossSum.View());
        else
            Backend.QuadraticCost(outputs, labels, batch, Spec.Outputs, scale, delta, LossSum.View());
        Backend.CountCorrect(outputs, labels, batch, Spec.Outputs, Correct.View());
    }

    /// <summary>Class probabilities of images on the host: <paramref name="images"/> (N, I) row-major → N rows of C
    /// (<see cref="OutputProbabilities.From"/>), uploaded to <see cref="Input"/> and run in chunks of at most
    /// <see cref="MaxBatch"/>.</summary>
    /// <exception cref="ArgumentException">the length is not a multiple of I.</exception>
    public float[][] Probabilities(ReadOnlySpan<float> images)
    {
        int features = Spec.Inputs;
        if (images.Length % features != 0)
            throw new ArgumentException($"images hold {images.Length} floats, not a multiple of {features} per image",
                nameof(images));
        int count = images.Length / features;
        var result = new float[count][];
        var outputs = new float[Math.Min(count, MaxBatch) * Spec.Outputs];
        for (int start = 0; start < count; start += MaxBatch)
        {
            int n = Math.Min(MaxBatch, count - start);
            var x = Input.View(0, n * features);
            Backend.Upload(images.Slice(start * features, n * features), x);
            Forward(x, n);
            ReadProbabilities(outputs, result.AsSpan(start, n));
        }
        return result;
    }

    /// <summary>Class probabilities of <paramref name="count"/> images already on the device (a
    /// <c>DeviceDataset</c>'s): <paramref name="images"/> (N, I) → N rows of C
    /// (<see cref="OutputProbabilities.From"/>), run in chunks of at most <see cref="MaxBatch"/>.</summary>
    public float[][] Probabilities(BufferView<float> images, int count)
    {
        int features = Spec.Inputs;
        var result = new float[count][];
        var outputs = new float[Math.Min(count, MaxBatch) * Spec.Outputs];
        for (int start = 0; start < count; start += MaxBatch)
        {
            int n = Math.Min(MaxBatch, count - start);
            Forward(images.Slice(start * features, n * features), n);
            ReadProbabilities(outputs, result.AsSpan(start, n));
        }
        return result;
    }

    /// <summary>Releases every buffer the network allocated (the backend stays open).</summary>
    public void Dispose()
    {
        for (int k = _owned.Count - 1; k >= 0; k--) _owned[k].Dispose();
        _owned.Clear();
        GC.SuppressFinalize(this);
    }

    /// <summary>Keeps <paramref name="buffer"/> to be disposed with the network, last allocated first.</summary>
    protected TBuffer Own<TBuffer>(TBuffer buffer) where TBuffer : IDisposable
    {
        _owned.Add(buffer);
        return buffer;
    }

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is not in
    /// 1..<see cref="MaxBatch"/>.</exception>
    protected void CheckBatch(int batch)
    {
        if (batch < 1 || batch > MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"batch must be in 1..{MaxBatch}");
    }

    /// <summary>Refuses a <paramref name="maxBatch"/> for which a layer's (maxBatch, width) activations would not fit
    /// in one buffer; the message ends "use a smaller " + <paramref name="advice"/>.</summary>
    /// <exception cref="ArgumentException">a (maxBatch, width) tensor has more than int.MaxValue elements.</exception>
    protected static void CheckActivationSize(MlpSpec spec, int maxBatch, string advice)
    {
        foreach (int width in spec.Widths)
            if ((long)maxBatch * width > int.MaxValue)
                throw new ArgumentException($"a {maxBatch}×{width} activation tensor has " +
                                            $"{(long)maxBatch * width:N0} elements, more than the {int.MaxValue:N0} " +
                                            $"one buffer can hold; use a smaller {advice}");
    }

    /// <summary>Downloads the last forward pass's outputs for <paramref name="rows"/>.Length images through
    /// <paramref name="staging"/> and turns each into probabilities.</summary>
    private void ReadProbabilities(float[] staging, Span<float[]> rows)
    {
        int n = rows.Length, classes = Spec.Outputs;
        Backend.Download(Outputs(n), staging.AsSpan(0, n * classes));
        for (int k = 0; k < n; k++) rows[k] = OutputProbabilities.From(staging.AsSpan(k * classes, classes), Spec.Loss);
    }
}
