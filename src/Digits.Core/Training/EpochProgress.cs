using System.Diagnostics;

namespace Digits.Core.Training;

/// <summary>
/// The clock of one epoch's training (evaluation excluded) and the progress reports inside it: at most one per
/// interval, and one after the epoch's last step. Each report reads the running loss sum back from the device (which
/// synchronizes it), so a loss that is no longer finite stops the run there rather than at the epoch's end.
/// </summary>
internal sealed class EpochProgress(TrainingRun run, DivergenceCheck divergence, Action<StepProgress>? report,
    TimeSpan interval, int epochs)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _lastReport = TimeSpan.Zero;

    /// <summary>Seconds this epoch has trained, those before a resume included.</summary>
    public double Seconds => run.EarlierSeconds + _clock.Elapsed.TotalSeconds;

    /// <summary>Images trained on per second of this run's share of the epoch.</summary>
    public double ImagesPerSecond => (run.ImagesDone - run.FirstStep * run.BatchSize) / _clock.Elapsed.TotalSeconds;

    /// <summary>Called after each step: reports when the interval has passed or the epoch's last step was taken.</summary>
    /// <exception cref="TrainingDivergedException">the loss read for the report is not finite.</exception>
    public void AfterStep()
    {
        if (report is null) return;
        if (_clock.Elapsed - _lastReport < interval && run.StepInEpoch < run.StepsPerEpoch) return;
        _lastReport = _clock.Elapsed;
        float lossSum = run.ReadLossSum();
        if (!float.IsFinite(lossSum)) divergence.ThrowIfLossDiverged(run.ReadFirstBadStep());
        report(new StepProgress(run.Epoch + 1, epochs, run.StepInEpoch, run.StepsPerEpoch, lossSum / run.ImagesDone,
            ImagesPerSecond, _clock.Elapsed + TimeSpan.FromSeconds(run.EarlierSeconds)));
    }

    /// <summary>Stops the clock at the end of the epoch's steps, so evaluation is not counted.</summary>
    public void Stop() => _clock.Stop();
}
