using Digits.Core.Model;

namespace Digits.Core.Training;

/// <summary>
/// Stops a run that has diverged, saying where. Three signs: the device's step counter recorded a global step after
/// which the loss sum was no longer finite (counter[2], set by <see cref="Backends.IBackend.AdvanceStep"/> at no cost
/// and read with the loss once per epoch and at each progress report); an epoch's loss sum that overflowed; weights
/// that are no longer finite (checked before a checkpoint is saved and before the model is returned).
/// </summary>
internal sealed class DivergenceCheck(TrainingOptions options, int stepsPerEpoch)
{
    private long TotalSteps => (long)stepsPerEpoch * options.Epochs;

    /// <summary>Throws when <paramref name="firstBadStep"/> (the counter's record, 0-based; −1 for none) is a step.</summary>
    /// <exception cref="TrainingDivergedException">the loss became NaN or infinite at that step.</exception>
    public void ThrowIfLossDiverged(long firstBadStep)
    {
        if (firstBadStep < 0) return;
        int epoch = (int)(firstBadStep / stepsPerEpoch);
        throw Diverged(epoch + 1, (int)(firstBadStep % stepsPerEpoch) + 1,
            options.LearningRateAt(firstBadStep, TotalSteps, epoch), "the loss became NaN or infinite");
    }

    /// <summary>Throws when epoch <paramref name="epoch"/>'s (1-based) mean loss is not finite although every step's
    /// was: the sum overflowed. <paramref name="learningRate"/> is the epoch's last.</summary>
    /// <exception cref="TrainingDivergedException">the epoch's loss sum overflowed.</exception>
    public void ThrowIfLossOverflowed(double trainLoss, int epoch, float learningRate)
    {
        if (!double.IsFinite(trainLoss))
            throw Diverged(epoch, stepsPerEpoch, learningRate, "the epoch's loss sum overflowed");
    }

    /// <summary>Throws when a weight of <paramref name="model"/>, taken after epoch <paramref name="epoch"/> (1-based)
    /// and <paramref name="stepsTaken"/> steps, is NaN or infinite.</summary>
    /// <exception cref="TrainingDivergedException">the weights became NaN or infinite.</exception>
    public void ThrowIfNotFinite(MlpModel model, int epoch, long stepsTaken)
    {
        foreach (float w in model.Parameters)
            if (!float.IsFinite(w))
                throw Diverged(epoch, stepsPerEpoch,
                    options.LearningRateAt(Math.Max(stepsTaken - 1, 0), TotalSteps, epoch - 1),
                    "the weights became NaN or infinite");
    }

    private TrainingDivergedException Diverged(int epoch, int step, float learningRate, string what) =>
        new(epoch, step, stepsPerEpoch, learningRate, options.LearningRate, what);
}
