namespace Digits.Core.Training;

/// <summary>One epoch's figures. Losses are means per image; accuracies are fractions in [0, 1];
/// <see cref="Seconds"/> is training time only, evaluation excluded (<see cref="EvalSeconds"/>), and
/// <see cref="ImagesPerSecond"/> is over that training time. Validation figures are null when no validation set was
/// held out. <see cref="LearningRate"/> is the last step's.</summary>
public sealed record EpochReport(
    int Epoch, double TrainLoss, double TrainAccuracy, double? ValidationLoss, double? ValidationAccuracy,
    double TestLoss, double TestAccuracy, double Seconds, double ImagesPerSecond, float LearningRate,
    double EvalSeconds);
