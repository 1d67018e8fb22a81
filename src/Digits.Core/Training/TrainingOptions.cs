namespace Digits.Core.Training;

/// <summary>The update rule.</summary>
public enum OptimizerKind
{
    /// <summary>Mini-batch stochastic gradient descent (full-batch gradient descent when the batch holds the
    /// whole training set).</summary>
    Sgd,

    /// <summary>SGD with heavy-ball momentum (PyTorch's form).</summary>
    Momentum,

    /// <summary>Adam (Kingma &amp; Ba 2015).</summary>
    Adam,
}

/// <summary>How the learning rate changes over training.</summary>
public enum ScheduleKind
{
    /// <summary>The same learning rate every step.</summary>
    Constant,

    /// <summary>Multiplied by γ every <see cref="TrainingOptions.StepEpochs"/> epochs.</summary>
    Step,

    /// <summary>Cosine annealing from the learning rate to 0 over all steps (Loshchilov &amp; Hutter 2017,
    /// SGDR, without restarts).</summary>
    Cosine,
}

/// <summary>Hyper-parameters of a training run. Defaults are the `digits train` defaults.</summary>
public sealed record TrainingOptions
{
    public int Epochs { get; init; } = 10;

    /// <summary>Images per mini-batch, B.</summary>
    public int BatchSize { get; init; } = 128;

    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;

    /// <summary>Peak learning rate (the schedule scales it).</summary>
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>μ for <see cref="OptimizerKind.Momentum"/>.</summary>
    public float Momentum { get; init; } = 0.9f;

    public float Beta1 { get; init; } = 0.9f;
    public float Beta2 { get; init; } = 0.999f;
    public float Epsilon { get; init; } = 1e-8f;

    /// <summary>L2 weight decay λ on weights (not biases), added to the gradient as λ·w.</summary>
    public float WeightDecay { get; init; }

    public ScheduleKind Schedule { get; init; } = ScheduleKind.Cosine;

    /// <summary>For <see cref="ScheduleKind.Step"/>: epochs between decays.</summary>
    public int StepEpochs { get; init; } = 10;

    /// <summary>For <see cref="ScheduleKind.Step"/>: the factor γ applied at each decay.</summary>
    public float StepGamma { get; init; } = 0.1f;

    /// <summary>Seeds weights, shuffles and splits.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Drop probabilities of the hidden layers' outputs during training (inverted dropout); null = none.</summary>
    public DropoutRates? Dropout { get; init; }

    /// <summary>Drop probability of the input pixels during training; 0 = none.</summary>
    public float InputDropout { get; init; }

    /// <summary>Max-norm constraint c on each unit's incoming weight vector, applied after every step; 0 = none.</summary>
    public float MaxNorm { get; init; }

    /// <summary>Training-image augmentation; null = none.</summary>
    public AugmentOptions? Augment { get; init; }

    /// <summary>Checks the options; a message names the property it is about ("TrainingOptions.LearningRate must
    /// be a positive number, got 0").</summary>
    /// <exception cref="ArgumentException">a value is out of range.</exception>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"{Name(nameof(Epochs))} must be at least 1, got {Epochs}");
        if (BatchSize < 1) throw new ArgumentException($"{Name(nameof(BatchSize))} must be at least 1, got {BatchSize}");
        if (!(LearningRate > 0) || !float.IsFinite(LearningRate))
            throw new ArgumentException($"{Name(nameof(LearningRate))} must be a positive number, got {LearningRate}");
        if (!(WeightDecay >= 0) || !float.IsFinite(WeightDecay))
            throw new ArgumentException($"{Name(nameof(WeightDecay))} must be ≥ 0, got {WeightDecay}");
        if (!(Momentum >= 0 && Momentum < 1))
            throw new ArgumentException($"{Name(nameof(Momentum))} must be in [0, 1), got {Momentum}");
        if (!(Beta1 >= 0 && Beta1 < 1) || !(Beta2 >= 0 && Beta2 < 1))
            throw new ArgumentException($"Adam's betas must be in [0, 1), got {Beta1} and {Beta2}");
        if (!(Epsilon > 0)) throw new ArgumentException($"Adam's epsilon must be positive, got {Epsilon}");
        if (StepEpochs < 1) throw new ArgumentException($"{Name(nameof(StepEpochs))} must be at least 1, got {StepEpochs}");
        if (!(InputDropout >= 0 && InputDropout < 1))
            throw new ArgumentException($"{Name(nameof(InputDropout))} must be in [0, 1), got {InputDropout}");
        if (!(MaxNorm >= 0) || !float.IsFinite(MaxNorm))
            throw new ArgumentException($"{Name(nameof(MaxNorm))} must be ≥ 0, got {MaxNorm}");
        Augment?.Validate();
        if (Dropout is not null) _ = new DropoutRates(Dropout.Values);
        if (!(StepGamma > 0 && StepGamma <= 1))
            throw new ArgumentException($"{Name(nameof(StepGamma))} must be in (0, 1], got {StepGamma}");
    }

    /// <summary>"TrainingOptions.LearningRate" for "LearningRate": how messages name a property.</summary>
    internal static string Name(string property) => $"{nameof(TrainingOptions)}.{property}";

    /// <summary>The learning rate for a step: <paramref name="step"/> counts from 0 over
    /// <paramref name="totalSteps"/>; <paramref name="epoch"/> counts from 0.</summary>
    public float LearningRateAt(long step, long totalSteps, int epoch) => Schedule switch
    {
        ScheduleKind.Constant => LearningRate,
        ScheduleKind.Step => (float)(LearningRate * Math.Pow(StepGamma, epoch / StepEpochs)),
        ScheduleKind.Cosine => (float)(LearningRate * 0.5 * (1 + Math.Cos(Math.PI * step / Math.Max(totalSteps, 1)))),
        _ => throw new ArgumentOutOfRangeException(nameof(Schedule)),
    };
}
