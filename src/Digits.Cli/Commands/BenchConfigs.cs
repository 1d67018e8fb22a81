using Digits.Core.Backends;
using Digits.Core.Model;
using Digits.Core.Training;

namespace Digits.Cli.Commands;

/// <summary>A named benchmark configuration: architecture and training hyper-parameters. The PyTorch twin in
/// benchmarks/pytorch/twin.py must use the same values.</summary>
internal sealed record BenchConfig(string Name, int[] Widths, Activation Hidden, LossKind Loss, TrainingOptions Options)
{
    public static readonly IReadOnlyList<BenchConfig> All =
    [
        new("small", [784, 128, 10], Activation.Relu, LossKind.CrossEntropy,
            new TrainingOptions { Optimizer = OptimizerKind.Adam, LearningRate = 1e-3f, BatchSize = 128, Schedule = ScheduleKind.Constant }),
        new("large", [784, 1024, 1024, 10], Activation.Relu, LossKind.CrossEntropy,
            new TrainingOptions { Optimizer = OptimizerKind.Adam, LearningRate = 1e-3f, BatchSize = 256, Schedule = ScheduleKind.Constant }),
        new("nielsen", [784, 30, 10], Activation.Sigmoid, LossKind.Quadratic,
            new TrainingOptions { Optimizer = OptimizerKind.Sgd, LearningRate = 3f, BatchSize = 10, Schedule = ScheduleKind.Constant }),
    ];

    /// <summary>
    /// The time-to-accuracy preset: 784-512-10 ReLU, Adam at lr 2e-3 with a cosine schedule over 8 epochs,
    /// mini-batch 128. One wide hidden layer is the cheapest MLP shape per accuracy point on MNIST here: the GEMMs
    /// stay large (fast on every device) and there are few launches per step; the cosine decay makes the last
    /// epochs count. Training stops at the first epoch whose test accuracy reaches the target.
    /// </summary>
    public static readonly BenchConfig Speedrun = new("speedrun", [784, 512, 10], Activation.Relu, LossKind.CrossEntropy,
        new TrainingOptions { Optimizer = OptimizerKind.Adam, LearningRate = 2e-3f, BatchSize = 128, Epochs = 8, Schedule = ScheduleKind.Cosine });

    public MlpSpec Spec => new(Widths, Hidden, Loss);

    /// <summary>FLOPs of one training image: forward 2·In·Out per layer, backward twice that, less the first layer's
    /// input gradient (nothing consumes it): 6·Σ In·Out − 2·I₀·O₀.</summary>
    public double FlopsPerImage
    {
        get
        {
            double sum = 0;
            for (int l = 0; l + 1 < Widths.Length; l++) sum += (double)Widths[l] * Widths[l + 1];
            return 6 * sum - 2.0 * Widths[0] * Widths[1];
        }
    }
}
