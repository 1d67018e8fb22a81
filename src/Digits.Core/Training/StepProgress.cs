namespace Digits.Core.Training;

/// <summary>Progress inside an epoch, for a live display: <see cref="RunningLoss"/> is the mean loss over the
/// epoch's images so far (read from the device at each report, which synchronizes it).</summary>
public sealed record StepProgress(int Epoch, int Epochs, int Step, int StepsPerEpoch, double RunningLoss,
    double ImagesPerSecond, TimeSpan EpochElapsed);
