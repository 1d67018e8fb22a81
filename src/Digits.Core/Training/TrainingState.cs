using Digits.Core.Model;

namespace Digits.Core.Training;

/// <summary>
/// A training run stopped at a mini-batch boundary, with everything needed to continue it exactly: the
/// parameters, the optimizer's state, the position (epoch, mini-batch, global step), the shuffle generator as it
/// was before the current epoch drew its permutation (so a resumed epoch draws the same one), and the epoch's
/// running loss sum and correct count. On the CPU a run resumed from it ends bit-identical to one never stopped
/// (same seed, device and threads). Saved and loaded by <see cref="Checkpoint"/>.
/// </summary>
public sealed record TrainingState
{
    /// <summary>The parameters at this point (and the spec).</summary>
    public required MlpModel Model { get; init; }

    /// <summary>The run's hyper-parameters; a resumed run must use the same ones.</summary>
    public required TrainingOptions Options { get; init; }

    /// <summary>Momentum's velocity or Adam's m, in <see cref="ParameterLayout"/> order; null for SGD.</summary>
    public float[]? OptimizerState1 { get; init; }

    /// <summary>Adam's v; null otherwise.</summary>
    public float[]? OptimizerState2 { get; init; }

    /// <summary>Training images per epoch, N (the resumed run's training set must have as many).</summary>
    public required int TrainImages { get; init; }

    /// <summary>Mini-batches per epoch, ⌈N / B⌉.</summary>
    public required int StepsPerEpoch { get; init; }

    /// <summary>Epochs completed (0-based index of the epoch in progress).</summary>
    public required int Epoch { get; init; }

    /// <summary>Mini-batches of the epoch in progress already taken; 0 at an epoch boundary.</summary>
    public required int StepInEpoch { get; init; }

    /// <summary>Optimizer steps taken over the whole run: Epoch · StepsPerEpoch + StepInEpoch.</summary>
    public long StepsTaken => (long)Epoch * StepsPerEpoch + StepInEpoch;

    /// <summary>The shuffle generator's <see cref="SeededRandom.State"/> before the epoch in progress drew its
    /// permutation.</summary>
    public required ulong[] ShuffleState { get; init; }

    /// <summary>Σ loss over the epoch's images so far, exactly as the device accumulated it.</summary>
    public float EpochLossSum { get; init; }

    /// <summary>Correct predictions over the epoch's images so far.</summary>
    public int EpochCorrect { get; init; }

    /// <summary>Training seconds spent in the epoch in progress so far.</summary>
    public double EpochSeconds { get; init; }

    /// <summary>Training seconds of the completed epochs.</summary>
    public double TrainingSeconds { get; init; }

    /// <summary>The completed epochs' reports (<see cref="Epoch"/> of them).</summary>
    public IReadOnlyList<EpochReport> History { get; init; } = [];

    /// <summary>Whether the run stopped between epochs rather than inside one.</summary>
    public bool AtEpochBoundary => StepInEpoch == 0;

    /// <summary>Whether every epoch has run (only the final evaluation is left).</summary>
    public bool Finished => Epoch >= Options.Epochs;

    /// <summary>"after epoch 3" or "in epoch 4 after step 120 of 469", for messages.</summary>
    public string Position => AtEpochBoundary
        ? Epoch == 0 ? "before the first epoch" : $"after epoch {Epoch}"
        : $"in epoch {Epoch + 1} after step {StepInEpoch} of {StepsPerEpoch}";
}
