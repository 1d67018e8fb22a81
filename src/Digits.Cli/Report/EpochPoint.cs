namespace Digits.Cli.Report;

/// <summary>One epoch's point on the report's curves; validation figures are null without a validation set.</summary>
internal sealed record EpochPoint(int Epoch, double TrainLoss, double TrainAccuracy, double? ValidationLoss,
    double? ValidationAccuracy, double TestLoss, double TestAccuracy);
