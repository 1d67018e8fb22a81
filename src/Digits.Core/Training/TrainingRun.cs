using Digits.Core.Backends;
using Digits.Core.Data;
using Digits.Core.Model;

namespace Digits.Core.Training;

/// <summary>
/// One training run on a backend, and where it is. On the device: the datasets (uploaded once), the network, the
/// augmenter, the epoch's permutation and schedule table, and the step counter (mini-batch index in the epoch, global
/// step, first divergent step) that every device-driven op reads, so that every full-size step issues the same
/// launches. On the host: the position (epoch, mini-batch, steps taken), the shuffle generator, the finished epochs'
/// reports and training time. Begun fresh or from a <see cref="TrainingState"/>, and able to give one back at any
/// mini-batch boundary (<see cref="Snapshot"/>).
/// </summary>
internal sealed class TrainingRun : IDisposable
{
    private readonly IBackend _backend;
    private readonly TrainingOptions _options;
    private readonly MlpModel _initial;
    private readonly TrainingState? _resume;
    private readonly DeviceDataset _train;
    private readonly DeviceAugmenter? _augmenter;
    private readonly DeviceBuffer<float>? _raw;
    private readonly DeviceBuffer<int> _indices = null!, _counter = null!;
    private readonly DeviceBuffer<float> _schedule = null!;
    private readonly List<IDisposable> _owned = [];
    private readonly SeededRandom _shuffle;
    private readonly List<EpochReport> _history;
    private ulong[] _shuffleAtEpochStart;
    private float[] _scheduleHost = [];
    private long _launches, _launchSteps, _launchesAtEpochStart;

    /// <summary>Checks that <paramref name="initial"/> fits <paramref name="train"/> and that
    /// <paramref name="resume"/> (when given) has as many mini-batches per epoch as this run.</summary>
    /// <exception cref="ArgumentException">it does not.</exception>
    public static void CheckFits(MlpModel initial, Dataset train, TrainingOptions options, TrainingState? resume)
    {
        if (train.Features != initial.Spec.Inputs)
            throw new ArgumentException($"{train.Name} has {train.Features} pixels per image; {initial.Spec} expects " +
                                        $"{initial.Spec.Inputs}");
        int steps = StepsFor(train.Count, options.BatchSize);
        if (resume is not null && resume.StepsPerEpoch != steps)
            throw new ArgumentException($"the checkpoint has {resume.StepsPerEpoch} mini-batches per epoch; this run has " +
                                        $"{steps}");
    }

    /// <summary>Uploads the datasets and allocates everything a step needs; from <paramref name="resume"/>, puts the
    /// optimizer's state and the step counter back.</summary>
    public TrainingRun(IBackend backend, TrainingOptions options, MlpModel initial, Dataset train, Dataset? validation,
        Dataset test, TrainingState? resume)
    {
        (_backend, _options, _initial, _resume) = (backend, options, initial, resume);
        BatchSize = Math.Min(options.BatchSize, train.Count);
        StepsPerEpoch = StepsFor(train.Count, options.BatchSize);
        (Epoch, StepInEpoch, StepsTaken) = (resume?.Epoch ?? 0, resume?.StepInEpoch ?? 0, resume?.StepsTaken ?? 0);
        _history = [.. resume?.History ?? []];
        TrainingSeconds = resume?.TrainingSeconds ?? 0;
        _shuffle = resume is null
            ? SeededRandom.ForPurpose(options.Seed, "shuffle") : SeededRandom.FromState(resume.ShuffleState);
        _shuffleAtEpochStart = _shuffle.State;
        try
        {
            _train = Own(new DeviceDataset(backend, train));
            Validation = validation is null ? null : Own(new DeviceDataset(backend, validation));
            Test = Own(new DeviceDataset(backend, test));
            Network = Own(new DeviceNetwork(backend, initial, Math.Max(BatchSize, Trainer.EvaluationBatch), options));
            // Augmentation: the gather fills a raw mini-batch, and the augment op writes the distorted one into the
            // network's input, both on the device.
            if (options.Augment is { } augment)
            {
                _augmenter = Own(new DeviceAugmenter(backend, augment, options.Seed, train.Height, train.Width, BatchSize));
                _raw = Own(backend.Allocate<float>(checked(BatchSize * train.Features)));
            }
            if (resume is not null)
                Network.RestoreOptimizerState(resume.OptimizerState1, resume.OptimizerState2, resume.StepsTaken);
            _indices = Own(backend.Allocate<int>(train.Count));
            _schedule = Own(backend.Allocate<float>(3 * StepsPerEpoch));
            _counter = Own(backend.Allocate<int>(3));
            backend.Upload<int>([StepInEpoch, checked((int)StepsTaken), -1], _counter.View());
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public DeviceNetwork Network { get; } = null!;
    public DeviceDataset? Validation { get; }
    public DeviceDataset Test { get; } = null!;

    /// <summary>The mini-batch size B (the options', or N when the training set is smaller).</summary>
    public int BatchSize { get; }

    /// <summary>Mini-batches per epoch, ⌈N / B⌉; the last may be smaller.</summary>
    public int StepsPerEpoch { get; }

    /// <summary>The epoch in progress, 0-based (so also the epochs finished).</summary>
    public int Epoch { get; private set; }

    /// <summary>Mini-batches of the epoch in progress already taken.</summary>
    public int StepInEpoch { get; private set; }

    /// <summary>Optimizer steps taken over the whole run.</summary>
    public long StepsTaken { get; private set; }

    /// <summary>The mini-batch the epoch in progress began at: 0, or where a resumed run picked it up.</summary>
    public int FirstStep { get; private set; }

    /// <summary>Training seconds the epoch in progress had before the run was resumed inside it.</summary>
    public double EarlierSeconds { get; private set; }

    /// <summary>Training images of the epoch in progress taken so far.</summary>
    public int ImagesDone => Math.Min(StepInEpoch * BatchSize, _train.Count);

    /// <summary>Training seconds of the finished epochs.</summary>
    public double TrainingSeconds { get; private set; }

    /// <summary>The finished epochs' reports.</summary>
    public IReadOnlyList<EpochReport> History => _history;

    /// <summary>Launches per step over the steps this run took (not those before a resume).</summary>
    public double LaunchesPerStep => _launchSteps == 0 ? 0 : _launches / (double)_launchSteps;

    /// <summary>Whether every epoch has run.</summary>
    public bool Finished => Epoch >= _options.Epochs;

    /// <summary>Images in the epoch's mini-batch <paramref name="step"/> (0-based).</summary>
    public int BatchAt(int step) => Math.Min(BatchSize, _train.Count - step * BatchSize);

    /// <summary>Begins the epoch in progress: draws and uploads its permutation and its schedule table, and zeroes
    /// the loss and correct-count sums and the counter's mini-batch index — or, for the epoch a run was resumed
    /// inside, puts back the sums it had (the permutation redrawn from the saved generator is the same).</summary>
    public void BeginEpoch()
    {
        bool resumedInside = StepInEpoch > 0;
        FirstStep = StepInEpoch;
        EarlierSeconds = resumedInside ? _resume!.EpochSeconds : 0;
        _shuffleAtEpochStart = _shuffle.State;
        _backend.Upload<int>(_shuffle.Permutation(_train.Count), _indices.View());
        _scheduleHost = StepSchedule.ForEpoch(_options, StepsPerEpoch, _options.Epochs, Epoch);
        _backend.Upload<float>(_scheduleHost, _schedule.View());
        if (resumedInside)
        {
            _backend.Upload<float>([_resume!.EpochLossSum], Network.LossSum.View());
            _backend.Upload<int>([_resume.EpochCorrect], Network.Correct.View());
        }
        else
        {
            Network.ResetMetrics();
            _backend.Fill(0, _counter.View(0, 1)); // the epoch's first mini-batch
        }
        _launchesAtEpochStart = _backend.Launches;
    }

    /// <summary>Issues one training step's ops, op by op, on a mini-batch of <paramref name="batch"/> images: gather
    /// (and augment), forward, loss, backward, optimizer update, and the counter's advance. Everything it reads per
    /// step comes from device memory, so a recording of it replays correctly (<see cref="StepRunner"/>).</summary>
    public void Step(int batch)
    {
        int pixels = batch * _train.Features;
        var x = Network.Input.View(0, pixels);
        _backend.GatherBatch(_train.Images.View(), _train.Labels.View(), _indices.View(), _counter.View(), BatchSize,
            batch, _train.Features, _raw is null ? x : _raw.View(0, pixels), Network.Targets.View(0, batch));
        _augmenter?.Apply(_raw!.View(0, pixels), _counter.View(), batch, x);
        Network.TrainStep(batch, _options, _schedule.View(), _counter.View());
        _backend.AdvanceStep(_counter.View(), Network.LossSum.View());
    }

    /// <summary>Moves the position on by the step just taken (however it was launched).</summary>
    public void StepTaken()
    {
        Network.CountStep();
        StepInEpoch++;
        StepsTaken++;
    }

    /// <summary>The epoch's loss sum so far, read from the device.</summary>
    public float ReadLossSum() => Read(Network.LossSum.View());

    /// <summary>The first global step whose loss sum was not finite (0-based), or −1, read from the device.</summary>
    public long ReadFirstBadStep()
    {
        var counter = new int[3];
        _backend.Download(_counter.View(), counter);
        return counter[2];
    }

    /// <summary>Ends the epoch's steps: counts their launches and reads the epoch's loss sum and correct count.</summary>
    public (float LossSum, int Correct) FinishSteps()
    {
        _launches += _backend.Launches - _launchesAtEpochStart;
        _launchSteps += StepsPerEpoch - FirstStep;
        return (ReadLossSum(), Read(Network.Correct.View()));
    }

    /// <summary>The learning rate of the epoch's last mini-batch.</summary>
    public float LastLearningRate => _scheduleHost[3 * (StepsPerEpoch - 1)];

    /// <summary>Closes the epoch in progress with its <paramref name="report"/>; the next one is then in progress.</summary>
    public void FinishEpoch(EpochReport report)
    {
        TrainingSeconds += report.Seconds;
        _history.Add(report);
        Epoch++;
        StepInEpoch = 0;
        _shuffleAtEpochStart = _shuffle.State;
    }

    /// <summary>The whole state at this mini-batch boundary, for <see cref="Trainer.SaveCheckpoint"/>;
    /// <paramref name="epochSeconds"/> is the epoch in progress's training time so far.</summary>
    public TrainingState Snapshot(double epochSeconds)
    {
        var (state1, state2) = Network.DownloadOptimizerState();
        bool inside = StepInEpoch > 0;
        return new TrainingState
        {
            Model = Network.Download(_initial.Metadata),
            Options = _options,
            OptimizerState1 = state1,
            OptimizerState2 = state2,
            TrainImages = _train.Count,
            StepsPerEpoch = StepsPerEpoch,
            Epoch = Epoch,
            StepInEpoch = StepInEpoch,
            ShuffleState = _shuffleAtEpochStart,
            EpochLossSum = inside ? ReadLossSum() : 0,
            EpochCorrect = inside ? Read(Network.Correct.View()) : 0,
            EpochSeconds = inside ? epochSeconds : 0,
            TrainingSeconds = TrainingSeconds,
            History = _history.ToArray(),
        };
    }

    /// <summary>The parameters as a host model, with the initial model's metadata.</summary>
    public MlpModel DownloadModel() => Network.Download(_initial.Metadata);

    public void Dispose()
    {
        for (int k = _owned.Count - 1; k >= 0; k--) _owned[k].Dispose();
        _owned.Clear();
    }

    private static int StepsFor(int images, int batchSize)
    {
        int batch = Math.Min(batchSize, images);
        return (images + batch - 1) / batch;
    }

    private T Read<T>(BufferView<T> one) where T : unmanaged
    {
        var host = new T[1];
        _backend.Download(one, host);
        return host[0];
    }

    private T Own<T>(T owned) where T : IDisposable
    {
        _owned.Add(owned);
        return owned;
    }
}
