using System.Globalization;

namespace Digits.Core.Training;

/// <summary>Raised when the loss becomes NaN or infinite (or the weights do); the weights are not returned.
/// <see cref="Epoch"/> and <see cref="Step"/> count from 1; <see cref="LearningRate"/> is the step's, and
/// <see cref="SuggestedLearningRate"/> a tenth of the run's peak <see cref="TrainingOptions.LearningRate"/>.</summary>
public sealed class TrainingDivergedException(int epoch, int step, int stepsPerEpoch, float learningRate,
    float peakLearningRate, string what)
    : Exception(string.Create(CultureInfo.InvariantCulture,
        $"{Describe(epoch, step, stepsPerEpoch, learningRate, what)}; try a smaller " +
        $"{nameof(TrainingOptions)}.{nameof(TrainingOptions.LearningRate)} (e.g. {peakLearningRate / 10:g3})"))
{
    public int Epoch { get; } = epoch;
    public int Step { get; } = step;
    public int StepsPerEpoch { get; } = stepsPerEpoch;
    public float LearningRate { get; } = learningRate;

    /// <summary>A tenth of the peak learning rate the run was given: a value worth trying next.</summary>
    public float SuggestedLearningRate { get; } = peakLearningRate / 10;

    /// <summary>Where and how it diverged, without the advice: "training diverged in epoch 2, step 5 of 469: the
    /// loss became NaN or infinite at learning rate 1e+20".</summary>
    public string Description { get; } = Describe(epoch, step, stepsPerEpoch, learningRate, what);

    private static string Describe(int epoch, int step, int stepsPerEpoch, float learningRate, string what) =>
        string.Create(CultureInfo.InvariantCulture,
            $"training diverged in epoch {epoch}, step {step} of {stepsPerEpoch}: {what} at learning rate {learningRate:g3}");
}
