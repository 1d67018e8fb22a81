using Digits.Core.Model;

namespace Digits.Core.Training;

/// <summary>What a training run produced. <see cref="LaunchesPerStep"/> counts the backend's kernel launches (CPU:
/// op calls) inside training steps, the gather and the step counter's advance included, divided by the steps taken;
/// a replayed CUDA step graph counts as one launch (so it is about 1 on CUDA).</summary>
public sealed record TrainingResult(MlpModel Model, IReadOnlyList<EpochReport> History, Evaluation Test,
    double TrainingSeconds, double TotalSeconds, double LaunchesPerStep);
