using System.Diagnostics;
using Digits.Core.Backends;
using Digits.Core.Data;
using Digits.Core.Model;

namespace Digits.Core.Training;

/// <summary>One epoch's figures. Losses are means per image; accuracies are fractions in [0, 1];
/// <see cref="Seconds"/> is training time only, evaluation excluded (<see cref="EvalSeconds"/>). Validation
/// figures are null when no validation set was held out. <see cref="LearningRate"/> is the last step's.</summary>
public sealed record EpochReport(
    int Epoch, double TrainLoss, double TrainAccuracy, double? ValidationLoss, double? ValidationAccuracy,
    double TestLoss, double TestAccuracy, double Seconds, double ImagesPerSecond, float LearningRate,
    double EvalSeconds);

/// <summary>What a training run produced. <see cref="LaunchesPerStep"/> counts the backend's kernel launches (CPU:
/// op calls) inside training steps, the gather and the step counter's advance included, divided by the steps taken;
/// a replayed CUDA step graph counts as one launch (so it is about 1 on CUDA).</summary>
public sealed record TrainingResult(MlpModel Model, IReadOnlyList<EpochReport> History, Evaluation Test,
    double TrainingSeconds, double TotalSeconds, double LaunchesPerStep);

/// <summary>Progress inside an epoch, for a live display: <see cref="RunningLoss"/> is the mean loss over the
/// epoch's images so far (read from the device at each report, which synchronizes it).</summary>
public sealed record StepProgress(int Epoch, int Epochs, int Step, int StepsPerEpoch, double RunningLoss,
    double ImagesPerSecond, TimeSpan EpochElapsed);

/// <summary>Raised when the loss becomes NaN or infinite (or the weights do); the weights are not returned.
/// <see cref="Epoch"/> and <see cref="Step"/> count from 1; <see cref="LearningRate"/> is the step's.</summary>
public sealed class TrainingDivergedException(int epoch, int step, int stepsPerEpoch, float learningRate,
    float peakLearningRate, string what)
    : Exception(string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"training diverged in epoch {epoch}, step {step} of {stepsPerEpoch}: {what} at learning rate {learningRate:g3}; try a smaller --lr (e.g. --lr {peakLearningRate / 10:g3})"))
{
    public int Epoch { get; } = epoch;
    public int Step { get; } = step;
    public float LearningRate { get; } = learningRate;
}

/// <summary>
/// The training loop, written once against <see cref="IBackend"/>. The datasets are uploaded once; each
/// epoch the training images are reshuffled by the seeded generator (one upload of the permutation per
/// epoch), and each step gathers its mini-batch on the device from that permutation. The loss and accuracy
/// are accumulated on the device and read once per epoch.
/// </summary>
public sealed class Trainer
{
    /// <summary>Largest batch used for evaluation passes.</summary>
    public const int EvaluationBatch = 1000;

    private readonly IBackend _backend;
    private readonly TrainingOptions _options;

    public Trainer(IBackend backend, TrainingOptions options)
    {
        options.Validate();
        _backend = backend;
        _options = options;
    }

    /// <summary>Where the run is, for error messages: "allocating buffers", "epoch 3, step 120 of 469",
    /// "evaluating after epoch 3".</summary>
    public string Phase
    {
        get => _stepEpoch > 0 ? $"epoch {_stepEpoch}, step {_step} of {_steps}" : _phase;
        private set => (_phase, _stepEpoch) = (value, 0);
    }

    private string _phase = "not started";

    // The step being taken, kept as numbers: the string is built only when someone asks (an error message), not
    // formatted and allocated on every step (a nielsen epoch takes 6000 steps of under 20 µs).
    private int _stepEpoch, _step, _steps;

    /// <summary>Whether to evaluate after every epoch (default). Benchmarks turn it off: the epoch reports then
    /// carry NaN test figures, and only the final test evaluation runs.</summary>
    public bool EvaluateEachEpoch { get; init; } = true;

    /// <summary>Checked after each epoch's report; returning true ends training there (time-to-accuracy runs).</summary>
    public Func<EpochReport, bool>? StopWhen { get; init; }

    /// <summary>When set, called every <see cref="ProgressInterval"/> of training time with the running loss. Each
    /// call reads one float back from the device, so leave it null when nothing displays it.</summary>
    public Action<StepProgress>? Progress { get; init; }

    /// <summary>How often <see cref="Progress"/> is called, at most.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Whether a backend that implements <see cref="IStepCapture"/> may record a full-size step once and
    /// replay it as one launch (default); off, every step is issued op by op (for comparisons).</summary>
    public bool CaptureSteps { get; init; } = true;

    /// <summary>Things people should know about how the run is executed, said once each (e.g. that CUDA graphs
    /// could not be used and plain launches are).</summary>
    public event Action<string>? Notice;

    /// <summary>Called as each epoch begins, with its 0-based index, before its clock starts.</summary>
    public event Action<int>? EpochStarting;

    /// <summary>Called after each epoch with its figures.</summary>
    public event Action<EpochReport>? EpochCompleted;

    /// <summary>When set, called with the run's whole state after every epoch (its evaluation done), and when the
    /// run is cancelled, at the mini-batch boundary where it stopped, before <see cref="OperationCanceledException"/>
    /// is thrown. Give it <see cref="Checkpoint.Save"/>; <see cref="Resume"/> continues from what it got.</summary>
    public Action<TrainingState>? SaveCheckpoint { get; init; }

    /// <summary>Records one <paramref name="step"/> as a replayable graph, or says why not and returns null (the
    /// step has then not run).</summary>
    private IStepGraph? Capture(IStepCapture capture, Action step)
    {
        if (!capture.TryBeginCapture(out string reason))
        {
            Notice?.Invoke($"step graphs unavailable ({reason}); using plain launches");
            return null;
        }
        try
        {
            step();
        }
        catch
        {
            capture.EndCapture(out _)?.Dispose();
            throw;
        }
        var graph = capture.EndCapture(out reason);
        if (graph is null) Notice?.Invoke($"recording the step as a graph failed ({reason}); using plain launches");
        return graph;
    }

    /// <summary>
    /// Trains <paramref name="initial"/> on <paramref name="train"/>, evaluating on <paramref name="validation"/>
    /// (when given) and <paramref name="test"/> after each epoch, and on <paramref name="test"/> with per-image
    /// predictions at the end.
    /// </summary>
    /// <exception cref="TrainingDivergedException">the loss became NaN or infinite.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> was signalled (checked between
    /// mini-batches; <see cref="SaveCheckpoint"/> gets the state first).</exception>
    /// <exception cref="ArgumentException">the images do not fit the model's input.</exception>
    public TrainingResult Train(MlpModel initial, Dataset train, Dataset? validation, Dataset test,
        CancellationToken cancellation = default) => Run(initial, null, train, validation, test, cancellation);

    /// <summary>
    /// Continues a run from <paramref name="state"/> (a checkpoint) as if it had never stopped: on the CPU the
    /// result is bit-identical to an uninterrupted run with the same options, device and threads. The datasets
    /// must be the ones the run began with.
    /// </summary>
    /// <exception cref="ArgumentException">the state was made with other options, another training set size or
    /// another input size.</exception>
    /// <inheritdoc cref="Train" path="/exception"/>
    public TrainingResult Resume(TrainingState state, Dataset train, Dataset? validation, Dataset test,
        CancellationToken cancellation = default)
    {
        if (state.Options != _options)
            throw new ArgumentException("the checkpoint was made with other training options");
        if (state.TrainImages != train.Count)
            throw new ArgumentException($"the checkpoint was made with {state.TrainImages} training images; " +
                                        $"{train.Name} has {train.Count}");
        return Run(state.Model, state, train, validation, test, cancellation);
    }

    private TrainingResult Run(MlpModel initial, TrainingState? resume, Dataset train, Dataset? validation,
        Dataset test, CancellationToken cancellation)
    {
        var total = Stopwatch.StartNew();
        if (train.Features != initial.Spec.Inputs)
            throw new ArgumentException($"{train.Name} has {train.Features} pixels per image; {initial.Spec} expects " +
                                        $"{initial.Spec.Inputs}");
        int batchSize = Math.Min(_options.BatchSize, train.Count);
        int stepsPerEpoch = (train.Count + batchSize - 1) / batchSize;
        if (resume is not null && resume.StepsPerEpoch != stepsPerEpoch)
            throw new ArgumentException($"the checkpoint has {resume.StepsPerEpoch} mini-batches per epoch; this run has " +
                                        $"{stepsPerEpoch}");
        Phase = "uploading the datasets and allocating buffers";
        using var trainData = new DeviceDataset(_backend, train);
        using var evalData = validation is null ? null : new DeviceDataset(_backend, validation);
        using var testData = new DeviceDataset(_backend, test);
        using var network = new DeviceNetwork(_backend, initial, Math.Max(batchSize, EvaluationBatch), _options);
        // Augmentation: the gather fills a raw mini-batch, and the augment op writes the distorted one into the
        // network's input, both on the device.
        using var augmenter = _options.Augment is { } augment
            ? new DeviceAugmenter(_backend, augment, _options.Seed, train.Height, train.Width, batchSize)
            : null;
        using var raw = augmenter is null ? null : _backend.Allocate<float>(checked(batchSize * train.Features));
        if (resume is not null)
            network.RestoreOptimizerState(resume.OptimizerState1, resume.OptimizerState2, resume.StepsTaken);
        using var indices = _backend.Allocate<int>(train.Count);
        var shuffle = resume is null
            ? SeededRandom.ForPurpose(_options.Seed, "shuffle")
            : SeededRandom.FromState(resume.ShuffleState);
        long totalSteps = (long)stepsPerEpoch * _options.Epochs, step = resume?.StepsTaken ?? 0;
        // Device-driven steps: each epoch's step scalars are uploaded with its permutation, and a device counter
        // says which mini-batch and step it is, so every full-size step issues identical launches (and can be a
        // CUDA graph). The counter also records the first step whose loss was not finite (read once per epoch).
        using var schedule = _backend.Allocate<float>(3 * stepsPerEpoch);
        using var counter = _backend.Allocate<int>(3);
        _backend.Upload<int>([resume?.StepInEpoch ?? 0, checked((int)step), -1], counter.View());
        var capture = CaptureSteps && _backend is IStepCapture c && c.CaptureEnabled ? c : null;
        IStepGraph? graph = null;
        bool warmedUp = false;
        void Step(int batch)
        {
            var x = network.Input.View(0, batch * train.Features);
            _backend.GatherBatch(trainData.Images.View(), trainData.Labels.View(), indices.View(), counter.View(),
                batchSize, batch, train.Features, raw is null ? x : raw.View(0, batch * train.Features),
                network.Targets.View(0, batch));
            if (augmenter is not null) augmenter.Apply(raw!.View(0, batch * train.Features), counter.View(), batch, x);
            network.TrainStep(batch, _options, schedule.View(), counter.View());
            _backend.AdvanceStep(counter.View(), network.LossSum.View());
        }
        var history = new List<EpochReport>(resume?.History ?? []);
        double trainingSeconds = resume?.TrainingSeconds ?? 0;
        long launches = 0, stepsTaken = 0;
        var lossHost = new float[1];
        var correctHost = new int[1];
        var counterHost = new int[3];

        // The whole state at a mini-batch boundary, for SaveCheckpoint.
        TrainingState Snapshot(int epochsDone, int stepInEpoch, ulong[] shuffleState, double epochSeconds)
        {
            var (state1, state2) = network.DownloadOptimizerState();
            _backend.Download(network.LossSum.View(), lossHost);
            _backend.Download(network.Correct.View(), correctHost);
            return new TrainingState
            {
                Model = network.Download(initial.Metadata),
                Options = _options,
                OptimizerState1 = state1,
                OptimizerState2 = state2,
                TrainImages = train.Count,
                StepsPerEpoch = stepsPerEpoch,
                Epoch = epochsDone,
                StepInEpoch = stepInEpoch,
                ShuffleState = shuffleState,
                EpochLossSum = stepInEpoch == 0 ? 0 : lossHost[0],
                EpochCorrect = stepInEpoch == 0 ? 0 : correctHost[0],
                EpochSeconds = stepInEpoch == 0 ? 0 : epochSeconds,
                TrainingSeconds = trainingSeconds,
                History = history.ToArray(),
            };
        }

        // Stops the run if the counter recorded a step whose loss was not finite.
        void ThrowIfDiverged()
        {
            _backend.Download(counter.View(), counterHost);
            if (counterHost[2] < 0) return;
            long t = counterHost[2];
            int epochOf = (int)(t / stepsPerEpoch);
            throw new TrainingDivergedException(epochOf + 1, (int)(t % stepsPerEpoch) + 1, stepsPerEpoch,
                _options.LearningRateAt(t, totalSteps, epochOf), _options.LearningRate, "the loss became NaN or infinite");
        }

        try
        {
            for (int epoch = resume?.Epoch ?? 0; epoch < _options.Epochs; epoch++)
            {
                // A run resumed inside this epoch redraws the same permutation and carries on from its step.
                bool resumedInside = resume is not null && epoch == resume.Epoch && !resume.AtEpochBoundary;
                int firstStep = resumedInside ? resume!.StepInEpoch : 0;
                EpochStarting?.Invoke(epoch);
                double earlierSeconds = resumedInside ? resume!.EpochSeconds : 0;
                var clock = Stopwatch.StartNew();
                ulong[] shuffleAtEpochStart = shuffle.State;
                _backend.Upload<int>(shuffle.Permutation(train.Count), indices.View());
                float[] scheduleHost = StepSchedule.ForEpoch(_options, stepsPerEpoch, _options.Epochs, epoch);
                _backend.Upload<float>(scheduleHost, schedule.View());
                if (resumedInside)
                {
                    _backend.Upload<float>([resume!.EpochLossSum], network.LossSum.View());
                    _backend.Upload<int>([resume.EpochCorrect], network.Correct.View());
                }
                else
                {
                    network.ResetMetrics();
                    _backend.Fill(0, counter.View(0, 1)); // the epoch's first mini-batch
                }
                float lr = _options.LearningRate;
                long launchesBefore = _backend.Launches;
                var lastProgress = TimeSpan.Zero;
                void ReportProgress(int s, int start, int batch)
                {
                    if (Progress is null || (clock.Elapsed - lastProgress < ProgressInterval && s != stepsPerEpoch - 1)) return;
                    lastProgress = clock.Elapsed;
                    _backend.Download(network.LossSum.View(), lossHost);
                    if (!float.IsFinite(lossHost[0])) ThrowIfDiverged(); // the read synchronized anyway
                    int images = start + batch;
                    Progress(new StepProgress(epoch + 1, _options.Epochs, s + 1, stepsPerEpoch, lossHost[0] / images,
                        (images - firstStep * batchSize) / clock.Elapsed.TotalSeconds, clock.Elapsed + TimeSpan.FromSeconds(earlierSeconds)));
                }
                for (int s = firstStep; s < stepsPerEpoch; s++, step++)
                {
                    if (cancellation.IsCancellationRequested)
                    {
                        if (SaveCheckpoint is not null)
                        {
                            Phase = $"saving a checkpoint in epoch {epoch + 1} at step {s} of {stepsPerEpoch}";
                            SaveCheckpoint(Snapshot(epoch, s, shuffleAtEpochStart, earlierSeconds + clock.Elapsed.TotalSeconds));
                        }
                        throw new OperationCanceledException(cancellation);
                    }
                    (_stepEpoch, _step, _steps) = (epoch + 1, s + 1, stepsPerEpoch);
                    int start = s * batchSize, batch = Math.Min(batchSize, train.Count - start);
                    lr = scheduleHost[3 * s];
                    if (batch < batchSize)
                        Step(batch); // the epoch's last, smaller mini-batch: other arguments than the graph's
                    else if (graph is not null)
                        graph.Launch();
                    else if (capture is not null && warmedUp)
                    {
                        // Every kernel of the step has run once (lazy module loading cannot happen while
                        // recording): record one step, then run it as the graph.
                        graph = Capture(capture, () => Step(batchSize));
                        if (graph is null)
                        {
                            capture = null;
                            Step(batchSize);
                        }
                        else
                            graph.Launch();
                    }
                    else
                    {
                        Step(batchSize);
                        warmedUp = true;
                    }
                    network.CountStep();
                    ReportProgress(s, start, batch);
                }
                launches += _backend.Launches - launchesBefore;
                stepsTaken += stepsPerEpoch - firstStep;
                _backend.Download(network.LossSum.View(), lossHost);
                _backend.Download(network.Correct.View(), correctHost);
                double seconds = earlierSeconds + clock.Elapsed.TotalSeconds;
                trainingSeconds += seconds;
                ThrowIfDiverged();
                double trainLoss = lossHost[0] / (double)train.Count;
                if (!double.IsFinite(trainLoss))
                    throw new TrainingDivergedException(epoch + 1, stepsPerEpoch, stepsPerEpoch, lr, _options.LearningRate,
                        "the epoch's loss sum overflowed");

                Phase = $"evaluating after epoch {epoch + 1}";
                var evalClock = Stopwatch.StartNew();
                var valEval = evalData is null || !EvaluateEachEpoch ? null : Evaluator.Evaluate(network, evalData, false);
                var testEval = EvaluateEachEpoch ? Evaluator.Evaluate(network, testData, withPredictions: false) : null;
                var report = new EpochReport(epoch + 1, trainLoss, correctHost[0] / (double)train.Count,
                    valEval?.Loss, valEval?.Accuracy, testEval?.Loss ?? double.NaN, testEval?.Accuracy ?? double.NaN,
                    seconds, (train.Count - firstStep * batchSize) / clock.Elapsed.TotalSeconds, lr,
                    evalClock.Elapsed.TotalSeconds);
                history.Add(report);
                EpochCompleted?.Invoke(report);
                if (SaveCheckpoint is not null)
                {
                    Phase = $"saving a checkpoint after epoch {epoch + 1}";
                    var state = Snapshot(epoch + 1, 0, shuffle.State, 0);
                    ThrowIfNotFinite(state.Model, epoch + 1);
                    SaveCheckpoint(state);
                }
                if (StopWhen?.Invoke(report) == true) break;
            }
        }
        finally
        {
            graph?.Dispose();
        }
        Phase = "the final test evaluation";
        var finalTest = Evaluator.Evaluate(network, testData, withPredictions: true);
        var model = network.Download(initial.Metadata);
        ThrowIfNotFinite(model, _options.Epochs);
        return new TrainingResult(model, history, finalTest, trainingSeconds, total.Elapsed.TotalSeconds,
            stepsTaken == 0 ? 0 : launches / (double)stepsTaken);

        void ThrowIfNotFinite(MlpModel m, int epoch)
        {
            foreach (float w in m.Parameters)
                if (!float.IsFinite(w))
                    throw new TrainingDivergedException(epoch, stepsPerEpoch, stepsPerEpoch,
                        _options.LearningRateAt(Math.Max(step - 1, 0), totalSteps, epoch - 1), _options.LearningRate,
                        "the weights became NaN or infinite");
        }
    }
}
