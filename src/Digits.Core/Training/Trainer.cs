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

/// <summary>What a training run produced.</summary>
/// <summary>What a training run produced. <see cref="LaunchesPerStep"/> counts the backend's kernel launches (CPU:
/// op calls) inside training steps, the gather included, divided by the steps taken.</summary>
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

    /// <summary>Called after each epoch with its figures.</summary>
    public event Action<EpochReport>? EpochCompleted;

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
        var history = new List<EpochReport>();
        double trainingSeconds = 0;
        long launches = 0, stepsTaken = 0;
        var lossHost = new float[1];
        var correctHost = new int[1];
        for (int epoch = 0; epoch < _options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            _backend.Upload<int>(shuffle.Permutation(train.Count), indices.View());
            network.ResetMetrics();
            float lr = _options.LearningRate;
            long launchesBefore = _backend.Launches;
            var lastProgress = TimeSpan.Zero;
            for (int s = 0; s < stepsPerEpoch; s++, step++)
            {
                cancellation.ThrowIfCancellationRequested();
                Phase = $"epoch {epoch + 1}, step {s + 1} of {stepsPerEpoch}";
                int start = s * batchSize, batch = Math.Min(batchSize, train.Count - start);
                _backend.GatherBatch(trainData.Images.View(), trainData.Labels.View(), indices.View(), start, batch,
                    train.Features, network.Input.View(0, batch * train.Features), network.Targets.View(0, batch));
                lr = _options.LearningRateAt(step, totalSteps, epoch);
                network.TrainStep(batch, _options, lr);
                if (Progress is not null && (clock.Elapsed - lastProgress >= ProgressInterval || s == stepsPerEpoch - 1))
                {
                    lastProgress = clock.Elapsed;
                    _backend.Download(network.LossSum.View(), lossHost);
                    int images = start + batch;
                    Progress(new StepProgress(epoch + 1, _options.Epochs, s + 1, stepsPerEpoch, lossHost[0] / images,
                        images / clock.Elapsed.TotalSeconds, clock.Elapsed));
                }
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
        Phase = "the final test evaluation";
        var finalTest = Evaluator.Evaluate(network, testData, withPredictions: true);
        var model = network.Download(initial.Metadata);
        return new TrainingResult(model, history, finalTest, trainingSeconds, total.Elapsed.TotalSeconds,
            stepsTaken == 0 ? 0 : launches / (double)stepsTaken);
    }
}
