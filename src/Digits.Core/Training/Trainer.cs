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

/// <summary>Raised when the loss becomes NaN or infinite; the weights are not returned.</summary>
public sealed class TrainingDivergedException(int epoch, float learningRate, double loss)
    : Exception($"training diverged in epoch {epoch}: mean loss is {loss} at learning rate {learningRate:g3}; " +
                $"try a smaller --lr (e.g. {learningRate / 10:g3})")
{
    public int Epoch { get; } = epoch;
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
    public string Phase { get; private set; } = "not started";

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

    /// <summary>Whether full-size steps take their scalars from the device (<see cref="StepSchedule"/> and a step
    /// counter; default), which lets a backend that implements <see cref="IStepCapture"/> replay each step as one
    /// launch. Off: every step passes its scalars from the host, as before (for comparisons).</summary>
    public bool DeviceDrivenSteps { get; init; } = true;

    /// <summary>Things people should know about how the run is executed, said once each (e.g. that CUDA graphs
    /// could not be used and plain launches are).</summary>
    public event Action<string>? Notice;

    /// <summary>Called after each epoch with its figures.</summary>
    public event Action<EpochReport>? EpochCompleted;

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
    /// mini-batches).</exception>
    public TrainingResult Train(MlpModel initial, Dataset train, Dataset? validation, Dataset test,
        CancellationToken cancellation = default)
    {
        var total = Stopwatch.StartNew();
        if (train.Features != initial.Spec.Inputs)
            throw new ArgumentException($"{train.Name} has {train.Features} pixels per image; {initial.Spec} expects " +
                                        $"{initial.Spec.Inputs}");
        int batchSize = Math.Min(_options.BatchSize, train.Count);
        Phase = "uploading the datasets and allocating buffers";
        using var trainData = new DeviceDataset(_backend, train);
        using var evalData = validation is null ? null : new DeviceDataset(_backend, validation);
        using var testData = new DeviceDataset(_backend, test);
        using var network = new DeviceNetwork(_backend, initial, Math.Max(batchSize, EvaluationBatch), _options.Optimizer);
        using var indices = _backend.Allocate<int>(train.Count);
        var shuffle = SeededRandom.ForPurpose(_options.Seed, "shuffle");
        int stepsPerEpoch = (train.Count + batchSize - 1) / batchSize;
        long totalSteps = (long)stepsPerEpoch * _options.Epochs, step = 0;
        // Device-driven steps: the scalars of every step are uploaded once, and a device counter says which
        // step and mini-batch it is, so every full-size step issues identical launches (and can be a CUDA graph).
        bool deviceDriven = DeviceDrivenSteps && totalSteps <= StepSchedule.MaxSteps;
        float[]? scheduleHost = deviceDriven ? StepSchedule.Build(_options, stepsPerEpoch, _options.Epochs) : null;
        using var schedule = deviceDriven ? _backend.Allocate<float>(scheduleHost!.Length) : null;
        using var counter = deviceDriven ? _backend.Allocate<int>(2) : null;
        if (deviceDriven) _backend.Upload<float>(scheduleHost, schedule!.View());
        var capture = deviceDriven && _backend is IStepCapture c && c.CaptureEnabled ? c : null;
        IStepGraph? graph = null;
        bool warmedUp = false;
        void FullStep()
        {
            _backend.GatherBatchAt(trainData.Images.View(), trainData.Labels.View(), indices.View(), counter!.View(),
                batchSize, train.Features, network.Input.View(0, batchSize * train.Features),
                network.Targets.View(0, batchSize));
            network.TrainStepAt(batchSize, _options, schedule!.View(), counter.View());
            _backend.AdvanceStep(counter.View());
        }
        var history = new List<EpochReport>();
        double trainingSeconds = 0;
        long launches = 0, stepsTaken = 0;
        var lossHost = new float[1];
        var correctHost = new int[1];
        try
        {
            for (int epoch = 0; epoch < _options.Epochs; epoch++)
            {
                var clock = Stopwatch.StartNew();
                _backend.Upload<int>(shuffle.Permutation(train.Count), indices.View());
                network.ResetMetrics();
                if (deviceDriven) _backend.Fill(0, counter!.View(0, 1)); // the epoch's first mini-batch
                float lr = _options.LearningRate;
                long launchesBefore = _backend.Launches;
                var lastProgress = TimeSpan.Zero;
                void ReportProgress(int s, int start, int batch)
                {
                    if (Progress is null || (clock.Elapsed - lastProgress < ProgressInterval && s != stepsPerEpoch - 1)) return;
                    lastProgress = clock.Elapsed;
                    _backend.Download(network.LossSum.View(), lossHost);
                    int images = start + batch;
                    Progress(new StepProgress(epoch + 1, _options.Epochs, s + 1, stepsPerEpoch, lossHost[0] / images,
                        images / clock.Elapsed.TotalSeconds, clock.Elapsed));
                }
                for (int s = 0; s < stepsPerEpoch; s++, step++)
                {
                    cancellation.ThrowIfCancellationRequested();
                    Phase = $"epoch {epoch + 1}, step {s + 1} of {stepsPerEpoch}";
                    int start = s * batchSize, batch = Math.Min(batchSize, train.Count - start);
                    if (deviceDriven && batch == batchSize)
                    {
                        lr = scheduleHost![3 * step];
                        if (graph is not null)
                            graph.Launch();
                        else if (capture is not null && warmedUp)
                        {
                            // Every kernel of the step has run once (lazy module loading cannot happen while
                            // recording): record one step, then run it as the graph.
                            graph = Capture(capture, FullStep);
                            if (graph is null)
                            {
                                capture = null;
                                FullStep();
                            }
                            else
                                graph.Launch();
                        }
                        else
                        {
                            FullStep();
                            warmedUp = true;
                        }
                        network.CountStep();
                        ReportProgress(s, start, batch);
                        continue;
                    }
                    // The last, smaller mini-batch of an epoch (or no device-driven steps): host scalars.
                    _backend.GatherBatch(trainData.Images.View(), trainData.Labels.View(), indices.View(), start, batch,
                        train.Features, network.Input.View(0, batch * train.Features), network.Targets.View(0, batch));
                    lr = _options.LearningRateAt(step, totalSteps, epoch);
                    network.TrainStep(batch, _options, lr);
                    if (deviceDriven) _backend.AdvanceStep(counter!.View());
                    ReportProgress(s, start, batch);
                }
                launches += _backend.Launches - launchesBefore;
                stepsTaken += stepsPerEpoch;
                _backend.Download(network.LossSum.View(), lossHost);
                _backend.Download(network.Correct.View(), correctHost);
                double seconds = clock.Elapsed.TotalSeconds;
                trainingSeconds += seconds;
                double trainLoss = lossHost[0] / (double)train.Count;
                if (!double.IsFinite(trainLoss)) throw new TrainingDivergedException(epoch + 1, lr, trainLoss);

                Phase = $"evaluating after epoch {epoch + 1}";
                var evalClock = Stopwatch.StartNew();
                var valEval = evalData is null || !EvaluateEachEpoch ? null : Evaluator.Evaluate(network, evalData, false);
                var testEval = EvaluateEachEpoch ? Evaluator.Evaluate(network, testData, withPredictions: false) : null;
                var report = new EpochReport(epoch + 1, trainLoss, correctHost[0] / (double)train.Count,
                    valEval?.Loss, valEval?.Accuracy, testEval?.Loss ?? double.NaN, testEval?.Accuracy ?? double.NaN,
                    seconds, train.Count / seconds, lr, evalClock.Elapsed.TotalSeconds);
                history.Add(report);
                EpochCompleted?.Invoke(report);
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
        return new TrainingResult(model, history, finalTest, trainingSeconds, total.Elapsed.TotalSeconds,
            stepsTaken == 0 ? 0 : launches / (double)stepsTaken);
    }
}
