using Digits.Core.Backends;
using Digits.Core.Model;

namespace Digits.Core.Training;

/// <summary>
/// An MLP resident on a backend for training: an <see cref="InferenceNetwork"/> (parameters, input, activations,
/// loss and correct-count accumulators) with every further buffer a training run needs allocated once, here, before
/// the first step: gradients and optimizer state (see <see cref="ParameterLayout"/>), the mini-batch's labels, each
/// hidden layer's deltas and dropout outputs sized for <see cref="InferenceNetwork.MaxBatch"/>. A step moves nothing
/// between host and device.
/// </summary>
public sealed class DeviceNetwork : InferenceNetwork
{
    private readonly DeviceBuffer<float>[] _deltas = [];
    private long _step;
    private readonly DropoutParameters?[] _dropout = [];
    private readonly DeviceBuffer<float>?[] _dropped = [];
    private readonly DropoutParameters? _inputDropout;
    private readonly DeviceBuffer<float>? _droppedInput;
    private readonly float _maxNorm;

    /// <summary>Allocates the network's buffers on <paramref name="backend"/> and uploads
    /// <paramref name="model"/>'s parameters.</summary>
    public DeviceNetwork(IBackend backend, MlpModel model, int maxBatch, OptimizerKind optimizer)
        : this(backend, model, maxBatch, new TrainingOptions { Optimizer = optimizer })
    {
    }

    /// <summary>Allocates the network's buffers for training with <paramref name="options"/>' optimizer and
    /// regularization (dropout buffers when it drops anything), and uploads <paramref name="model"/>'s parameters.</summary>
    /// <exception cref="ArgumentException">the dropout rates do not fit the hidden layers.</exception>
    public DeviceNetwork(IBackend backend, MlpModel model, int maxBatch, TrainingOptions options)
        : base(backend, model, CheckOptions(model, options, maxBatch))
    {
        var optimizer = options.Optimizer;
        Optimizer = optimizer;
        try
        {
            var spec = Layout.Spec;
            Gradients = Own(backend.Allocate<float>(Layout.Count));
            if (optimizer != OptimizerKind.Sgd) State1 = Own(backend.Allocate<float>(Layout.Count));
            if (optimizer == OptimizerKind.Adam) State2 = Own(backend.Allocate<float>(Layout.Count));
            Targets = Own(backend.Allocate<int>(maxBatch));
            _deltas = new DeviceBuffer<float>[spec.Layers];
            for (int l = 0; l < spec.Layers - 1; l++)
                _deltas[l] = Own(backend.Allocate<float>(checked(maxBatch * spec.Widths[l + 1])));
            _deltas[spec.Layers - 1] = OutputDelta;
            _dropout = new DropoutParameters?[spec.Layers];
            _dropped = new DeviceBuffer<float>?[spec.Layers];
            for (int l = 0; l < spec.Layers - 1; l++)
                if (options.Dropout?.For(l) is > 0f and var rate)
                {
                    _dropout[l] = DropoutParameters.For(options.Seed, l + 1, rate);
                    _dropped[l] = Own(backend.Allocate<float>(checked(maxBatch * spec.Widths[l + 1])));
                }
            if (options.InputDropout > 0)
            {
                _inputDropout = DropoutParameters.For(options.Seed, 0, options.InputDropout);
                _droppedInput = Own(backend.Allocate<float>(checked(maxBatch * spec.Inputs)));
            }
            _maxNorm = options.MaxNorm;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary><paramref name="maxBatch"/>, once <paramref name="options"/>' dropout rates are known to fit the
    /// hidden layers and the activations to fit their buffers (checked before anything is allocated).</summary>
    /// <exception cref="ArgumentException">the dropout rates do not fit the hidden layers, or a (maxBatch, width)
    /// activation tensor would not fit in one buffer.</exception>
    private static int CheckOptions(MlpModel model, TrainingOptions options, int maxBatch)
    {
        int hiddenLayers = model.Spec.Layers - 1;
        if (options.Dropout is { } rates && rates.Values.Count != 1 && rates.Values.Count != hiddenLayers)
            throw new ArgumentException($"{rates.Values.Count} dropout rates for {hiddenLayers} hidden layers");
        if (options.Dropout is not null && hiddenLayers == 0)
            throw new ArgumentException("dropout on hidden layers needs hidden layers");
        CheckActivationSize(model.Spec, maxBatch,
            $"{TrainingOptions.Name(nameof(TrainingOptions.BatchSize))} or narrower {nameof(MlpSpec)}.{nameof(MlpSpec.Widths)}");
        return maxBatch;
    }

    public OptimizerKind Optimizer { get; }

    /// <summary>Optimizer steps taken (Adam's t).</summary>
    public long StepsTaken => _step;

    public DeviceBuffer<float> Gradients { get; } = null!;

    /// <summary>Momentum's velocity or Adam's first moment m; null for SGD.</summary>
    public DeviceBuffer<float>? State1 { get; }

    /// <summary>Adam's second moment v; null otherwise.</summary>
    public DeviceBuffer<float>? State2 { get; }

    /// <summary>The gathered mini-batch's labels (MaxBatch); its images are gathered into
    /// <see cref="InferenceNetwork.Input"/>.</summary>
    public DeviceBuffer<int> Targets { get; } = null!;

    /// <summary>Whether training steps drop anything (then <see cref="TrainStep"/> uses the dropout forward and
    /// backward).</summary>
    public bool HasDropout => _inputDropout is not null || _dropout.Any(d => d is not null);

    /// <summary>The input layer <paramref name="layer"/> consumed in the last training forward pass: the network's
    /// input or its dropped copy for layer 0, else the previous layer's (dropped) output.</summary>
    private BufferView<float> LayerInput(BufferView<float> x, int layer, int batch, bool training)
    {
        if (layer == 0)
            return training && _droppedInput is not null ? _droppedInput.View(0, batch * Spec.Inputs) : x;
        return training && _dropped[layer - 1] is { } d ? d.View(0, batch * Spec.Widths[layer]) : Activations(layer - 1, batch);
    }

    /// <summary>Training forward pass at the step counter[1] gives: as <see cref="InferenceNetwork.Forward"/>, with
    /// inverted dropout on the input and on each hidden layer's output where the options ask for it (the undropped
    /// outputs stay in <see cref="InferenceNetwork.Activations"/> for the activation's derivative).</summary>
    private void ForwardTraining(BufferView<float> x, int batch, BufferView<int> counter)
    {
        var spec = Spec;
        if (_inputDropout is { } inputDrop)
            Backend.Dropout(x, counter, inputDrop, batch * spec.Inputs, _droppedInput!.View(0, batch * spec.Inputs));
        for (int l = 0; l < spec.Layers; l++)
        {
            var y = Activations(l, batch);
            Backend.LinearForward(LayerInput(x, l, batch, true), Layout.Weight(Parameters, l), Layout.Bias(Parameters, l),
                spec.ActivationOf(l), batch, spec.Widths[l], spec.Widths[l + 1], y);
            if (_dropout[l] is { } drop)
                Backend.Dropout(y, counter, drop, batch * spec.Widths[l + 1], _dropped[l]!.View(0, batch * spec.Widths[l + 1]));
        }
    }

    /// <summary>Backward pass from the output delta written by <see cref="InferenceNetwork.Loss"/>: every parameter
    /// gradient is overwritten in <see cref="Gradients"/>. x is the same input given to
    /// <see cref="InferenceNetwork.Forward"/>.</summary>
    public void Backward(BufferView<float> x, int batch) => Backward(x, batch, default, training: false);

    /// <summary>Backward pass; with <paramref name="training"/>, through the dropout masks of the last
    /// <see cref="ForwardTraining"/> (redrawn from the same step and stream: the gradient into a dropped output is
    /// dropped and scaled the same way).</summary>
    private void Backward(BufferView<float> x, int batch, BufferView<int> counter, bool training)
    {
        var spec = Spec;
        for (int l = spec.Layers - 1; l >= 0; l--)
        {
            int inputs = spec.Widths[l], outputs = spec.Widths[l + 1];
            var delta = _deltas[l].View(0, batch * outputs);
            var input = LayerInput(x, l, batch, training);
            Backend.LinearBackwardWeight(input, delta, batch, inputs, outputs, Layout.Weight(Gradients, l));
            Backend.BiasBackward(delta, batch, outputs, Layout.Bias(Gradients, l));
            if (l == 0) break;
            var below = _deltas[l - 1].View(0, batch * inputs);
            Backend.LinearBackwardInput(delta, Layout.Weight(Parameters, l), batch, inputs, outputs, below);
            if (training && _dropout[l - 1] is { } drop) Backend.Dropout(below, counter, drop, batch * inputs, below);
            Backend.ActivationBackward(Activations(l - 1, batch), below, spec.ActivationOf(l - 1), batch * inputs, below);
        }
    }

    /// <summary>
    /// A whole training step on a batch already in <see cref="InferenceNetwork.Input"/>/<see cref="Targets"/>:
    /// forward, loss (mean over the batch), backward, and one optimizer update of every parameter from
    /// <see cref="Gradients"/> (one launch) that reads its learning rate (and Adam's corrections) from
    /// <paramref name="schedule"/> row counter[0] on the device (see <see cref="StepSchedule"/>). Issues the same
    /// launches with the same arguments for every step of one batch size (so it can be recorded as a CUDA graph), and
    /// does not count the step: call <see cref="CountStep"/> once per step taken.
    /// </summary>
    public void TrainStep(int batch, TrainingOptions options, BufferView<float> schedule, BufferView<int> counter)
    {
        TrainingGradients(batch, counter);
        var g = Gradients.View();
        int count = Layout.Count, decay = Layout.WeightCount;
        switch (Optimizer)
        {
            case OptimizerKind.Sgd:
                Backend.SgdStep(g, count, decay, schedule, counter, options.WeightDecay, Parameters.View());
                break;
            case OptimizerKind.Momentum:
                Backend.MomentumStep(g, count, decay, schedule, counter, options.Momentum, options.WeightDecay,
                    State1!.View(), Parameters.View());
                break;
            default:
                var adam = new AdamParameters(options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);
                Backend.AdamStep(g, count, decay, adam, schedule, counter, State1!.View(), State2!.View(),
                    Parameters.View());
                break;
        }
        if (_maxNorm > 0)
            for (int l = 0; l < Spec.Layers; l++)
                Backend.MaxNorm(Layout.Weight(Parameters, l), Spec.Widths[l + 1], Spec.Widths[l], _maxNorm);
    }

    /// <summary>The first half of <see cref="TrainStep"/>: forward with dropout at the step counter[1] gives, the mean
    /// loss over the batch (added to <see cref="InferenceNetwork.LossSum"/>), and backward through the same masks into
    /// <see cref="Gradients"/>, for the batch in <see cref="InferenceNetwork.Input"/>/<see cref="Targets"/>.</summary>
    public void TrainingGradients(int batch, BufferView<int> counter)
    {
        CheckBatch(batch);
        var x = Input.View(0, batch * Spec.Inputs);
        ForwardTraining(x, batch, counter);
        Loss(Targets.View(0, batch), batch, 1f / batch);
        Backward(x, batch, counter, training: true);
    }

    /// <summary>Counts one optimizer step taken by <see cref="TrainStep"/> (or a replay of it).</summary>
    public void CountStep() => _step++;

    /// <summary>Puts a saved optimizer state back (see <see cref="TrainingState"/>): the moments, as
    /// <see cref="DownloadOptimizerState"/> gave them, and the count of steps taken (Adam's t).</summary>
    /// <exception cref="ArgumentException">a moment is missing, extra, or of the wrong length for this network's
    /// optimizer.</exception>
    public void RestoreOptimizerState(float[]? state1, float[]? state2, long stepsTaken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepsTaken);
        if ((state1 is null) != (State1 is null) || (state2 is null) != (State2 is null))
            throw new ArgumentException($"the saved optimizer state does not fit {Optimizer}");
        if (state1 is not null) Backend.Upload<float>(state1, State1!.View());
        if (state2 is not null) Backend.Upload<float>(state2, State2!.View());
        _step = stepsTaken;
    }

    /// <summary>The optimizer's moments on the host (null where the optimizer has none).</summary>
    public (float[]? State1, float[]? State2) DownloadOptimizerState()
    {
        float[]? Take(DeviceBuffer<float>? buffer)
        {
            if (buffer is null) return null;
            var host = new float[Layout.Count];
            Backend.Download(buffer.View(), host);
            return host;
        }
        return (Take(State1), Take(State2));
    }

    /// <summary>Copies the parameters back into a host model.</summary>
    public MlpModel Download(IReadOnlyDictionary<string, string>? metadata = null)
    {
        var parameters = new float[Layout.Count];
        Backend.Download(Parameters.View(), parameters);
        return new MlpModel(Spec, parameters, metadata);
    }
}
