using Digits.Core.Backends;

namespace Digits.Core.Training;

/// <summary>
/// The per-step scalars of one epoch, evaluated on the host and uploaded once per epoch, so the optimizer ops
/// (<see cref="IBackend.SgdStep"/> and the others) read them on the device from the step counter: row s (the
/// epoch's mini-batch, 0-based; global step t = epoch·S + s) holds the learning rate
/// <see cref="TrainingOptions.LearningRateAt"/> gives for t and Adam's bias corrections for its t+1
/// (<see cref="AdamParameters.Corrections"/>).
/// </summary>
public static class StepSchedule
{
    /// <summary>The (stepsPerEpoch, 3) table of epoch <paramref name="epoch"/> (0-based) of a run of
    /// <paramref name="epochs"/>: lr, c₁, c₂ per mini-batch.</summary>
    /// <exception cref="ArgumentOutOfRangeException">a count is not positive, or the epoch is outside the run.</exception>
    public static float[] ForEpoch(TrainingOptions options, int stepsPerEpoch, int epochs, int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepsPerEpoch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epochs);
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(epoch, epochs);
        long total = (long)stepsPerEpoch * epochs;
        var adam = new AdamParameters(options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);
        var table = new float[3 * stepsPerEpoch];
        for (int s = 0; s < stepsPerEpoch; s++)
        {
            long t = (long)epoch * stepsPerEpoch + s;
            float lr = options.LearningRateAt(t, total, epoch);
            var (c1, c2) = adam.Corrections(t + 1);
            table[3 * s] = lr;
            table[3 * s + 1] = c1;
            table[3 * s + 2] = c2;
        }
        return table;
    }
}
