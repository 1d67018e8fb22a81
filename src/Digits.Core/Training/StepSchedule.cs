using Digits.Core.Backends;

namespace Digits.Core.Training;

/// <summary>
/// The per-step scalars of a whole run, evaluated on the host once and uploaded once, so the device-driven ops
/// (<see cref="IBackend.SgdStepAt"/> and the others) can read them from the step counter: row t (the global
/// step, 0-based) holds the learning rate <see cref="TrainingOptions.LearningRateAt"/> gives for it and Adam's
/// corrections for its t+1 (<see cref="AdamParameters.ForStep"/>), the very floats the host-scalar path uses.
/// </summary>
public static class StepSchedule
{
    /// <summary>Most steps a run may have for the table to be built (3 floats each: 48 MiB).</summary>
    public const long MaxSteps = 4 << 20;

    /// <summary>The (totalSteps, 3) table: lr, c₁, c₂ per global step.</summary>
    public static float[] Build(TrainingOptions options, int stepsPerEpoch, int epochs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepsPerEpoch);
        long total = (long)stepsPerEpoch * epochs;
        if (total > MaxSteps)
            throw new ArgumentOutOfRangeException(nameof(epochs), total, $"more than {MaxSteps} steps");
        var table = new float[3 * total];
        for (long t = 0; t < total; t++)
        {
            float lr = options.LearningRateAt(t, total, (int)(t / stepsPerEpoch));
            var adam = AdamParameters.ForStep(t + 1, lr, options.Beta1, options.Beta2, options.Epsilon,
                options.WeightDecay);
            table[3 * t] = lr;
            table[3 * t + 1] = adam.Correction1;
            table[3 * t + 2] = adam.Correction2;
        }
        return table;
    }
}
