using System.Diagnostics;
using Digits.Core.Backends;
using Digits.Core.Data;
using Digits.Core.Model;

namespace Digits.Core.Training;

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

    // The loop. Each concern is its own type: TrainingRun (what is on the device, where the run is, snapshots),
    // StepRunner (CUDA graph capture, replay and fallback), EpochProgress (the epoch's clock and progress reports),
    // DivergenceCheck (stopping a run whose loss or weights are no longer finite).
    private TrainingResult Run(MlpModel initial, TrainingState? resume, Dataset train, Dataset? validation,
        Dataset test, CancellationToken cancellation)
    {
        var total = Stopwatch.StartNew();
        TrainingRun.CheckFits(initial, train, _options, resume);
        Phase = "uploading the datasets and allocating buffers";
        using var run = new TrainingRun(_backend, _options, initial, train, validation, test, resume);
        using var steps = new StepRunner(run.BatchSize, run.Step, CaptureSteps ? _backend as IStepCapture : null,
            notice => Notice?.Invoke(notice));
        var divergence = new DivergenceCheck(_options, run.StepsPerEpoch);
        while (!run.Finished)
        {
            EpochStarting?.Invoke(run.Epoch);
            var progress = new EpochProgress(run, divergence, Progress, ProgressInterval, _options.Epochs);
            run.BeginEpoch();
            while (run.StepInEpoch < run.StepsPerEpoch)
            {
                if (cancellation.IsCancellationRequested) StopAndSave(run, progress, cancellation);
                (_stepEpoch, _step, _steps) = (run.Epoch + 1, run.StepInEpoch + 1, run.StepsPerEpoch);
                steps.Run(run.BatchAt(run.StepInEpoch));
                run.StepTaken();
                progress.AfterStep();
            }
            var report = FinishEpoch(run, progress, divergence);
            EpochCompleted?.Invoke(report);
            if (SaveCheckpoint is not null)
            {
                Phase = $"saving a checkpoint after epoch {run.Epoch}";
                var state = run.Snapshot(0);
                divergence.ThrowIfNotFinite(state.Model, run.Epoch, run.StepsTaken);
                SaveCheckpoint(state);
            }
            if (StopWhen?.Invoke(report) == true) break;
        }
        Phase = "the final test evaluation";
        var finalTest = Evaluator.Evaluate(run.Network, run.Test, withPredictions: true);
        var model = run.DownloadModel();
        divergence.ThrowIfNotFinite(model, _options.Epochs, run.StepsTaken);
        return new TrainingResult(model, run.History, finalTest, run.TrainingSeconds, total.Elapsed.TotalSeconds,
            run.LaunchesPerStep);
    }

    /// <summary>Cancelled between mini-batches: hands <see cref="SaveCheckpoint"/> the state, then stops.</summary>
    private void StopAndSave(TrainingRun run, EpochProgress progress, CancellationToken cancellation)
    {
        if (SaveCheckpoint is not null)
        {
            Phase = $"saving a checkpoint in epoch {run.Epoch + 1} at step {run.StepInEpoch} of {run.StepsPerEpoch}";
            SaveCheckpoint(run.Snapshot(progress.Seconds));
        }
        throw new OperationCanceledException(cancellation);
    }

    /// <summary>Ends the epoch's training (its sums read once, divergence checked), evaluates, and reports.</summary>
    private EpochReport FinishEpoch(TrainingRun run, EpochProgress progress, DivergenceCheck divergence)
    {
        var (lossSum, correct) = run.FinishSteps();
        progress.Stop();
        divergence.ThrowIfLossDiverged(run.ReadFirstBadStep());
        int epoch = run.Epoch + 1, images = run.ImagesDone;
        double trainLoss = lossSum / (double)images;
        divergence.ThrowIfLossOverflowed(trainLoss, epoch, run.LastLearningRate);

        Phase = $"evaluating after epoch {epoch}";
        var evalClock = Stopwatch.StartNew();
        var valEval = run.Validation is null || !EvaluateEachEpoch
            ? null : Evaluator.Evaluate(run.Network, run.Validation, withPredictions: false);
        var testEval = EvaluateEachEpoch ? Evaluator.Evaluate(run.Network, run.Test, withPredictions: false) : null;
        var report = new EpochReport(epoch, trainLoss, correct / (double)images, valEval?.Loss, valEval?.Accuracy,
            testEval?.Loss ?? double.NaN, testEval?.Accuracy ?? double.NaN, progress.Seconds, progress.ImagesPerSecond,
            run.LastLearningRate, evalClock.Elapsed.TotalSeconds);
        run.FinishEpoch(report);
        return report;
    }
}
