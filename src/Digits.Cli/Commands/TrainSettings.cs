using System.Globalization;
using Digits.Cli.Verbs;
using Digits.Core.Backends;
using Digits.Core.Data;
using Digits.Core.Model;
using Digits.Core.Training;

namespace Digits.Cli.Commands;

/// <summary>A <c>digits train</c> command line resolved: preset values, then explicit flags, then defaults, every
/// value checked before any work starts (a bad one is a <see cref="UsageException"/> naming the flag).</summary>
internal sealed record TrainSettings(DatasetSpec Dataset, int Validation, int[] Hidden, Activation Activation,
    LossKind Loss, TrainingOptions Training, string Output, string? Preset)
{
    /// <summary>Named recipes. Each is a set of flag values; explicit flags win over them.</summary>
    public static readonly IReadOnlyDictionary<string, TrainVerb> Presets = new Dictionary<string, TrainVerb>
    {
        // Nielsen, "Neural Networks and Deep Learning", ch. 1: network.SGD(training_data, 30, 10, 3.0).
        ["nielsen"] = new()
        {
            Layers = "30", Activation = "sigmoid", Loss = "mse", Optimizer = "sgd", LearningRate = 3.0f, BatchSize = 10,
            Epochs = 30, Schedule = "constant",
        },
        // A first look in a few seconds.
        ["quick"] = new() { Layers = "128", Optimizer = "adam", LearningRate = 5e-3f, BatchSize = 128, Epochs = 3 },
        // The time-to-accuracy preset of `digits bench --target-accuracy` (BenchConfig.Speedrun), run to the end.
        ["speedrun"] = new() { Layers = "512", Optimizer = "adam", LearningRate = 2e-3f, BatchSize = 128, Epochs = 8, Schedule = "cosine" },
        // Deeper and longer, with weight decay: the most accurate recipe here.
        ["deep"] = new()
        {
            Layers = "512,256,128", Optimizer = "adam", LearningRate = 1e-3f, BatchSize = 128, Epochs = 20, Schedule = "cosine",
            WeightDecay = 1e-4f,
        },
    };

    public static TrainSettings Resolve(TrainVerb flags)
    {
        TrainVerb? preset = null;
        if (flags.Preset is { } name && !Presets.TryGetValue(name.ToLowerInvariant(), out preset))
            throw new UsageException($"--preset: unknown preset '{name}'; presets are {string.Join(", ", Presets.Keys)}");
        T Pick<T>(Func<TrainVerb, T?> get, T fallback) where T : class => get(flags) ?? (preset is null ? null : get(preset)) ?? fallback;
        T PickV<T>(Func<TrainVerb, T?> get, T fallback) where T : struct => get(flags) ?? (preset is null ? null : get(preset)) ?? fallback;

        DatasetSpec dataset;
        try
        {
            dataset = DatasetSpec.Parse(Pick(v => v.Dataset, "mnist"));
        }
        catch (FormatException e)
        {
            throw new UsageException($"--dataset: {e.Message}");
        }
        int[] hidden = ParseLayers(Pick(v => v.Layers, "256,128"));
        string activationText = Pick(v => v.Activation, "relu");
        if (!ActivationNames.TryParseActivation(activationText, out var activation) || activation == Activation.Identity)
            throw new UsageException($"--activation: unknown activation '{activationText}'; use relu, sigmoid or tanh");
        string lossText = Pick(v => v.Loss, "cross-entropy");
        if (!ActivationNames.TryParseLoss(lossText, out var loss))
            throw new UsageException($"--loss: unknown loss '{lossText}'; use cross-entropy or mse");
        string optimizerText = Pick(v => v.Optimizer, "adam");
        var optimizer = optimizerText.ToLowerInvariant() switch
        {
            "sgd" => OptimizerKind.Sgd,
            "momentum" => OptimizerKind.Momentum,
            "adam" => OptimizerKind.Adam,
            _ => throw new UsageException($"--optimizer: unknown optimizer '{optimizerText}'; use sgd, momentum or adam"),
        };
        string scheduleText = Pick(v => v.Schedule, "cosine");
        var schedule = scheduleText.ToLowerInvariant() switch
        {
            "constant" => ScheduleKind.Constant,
            "step" => ScheduleKind.Step,
            "cosine" => ScheduleKind.Cosine,
            _ => throw new UsageException($"--lr-schedule: unknown schedule '{scheduleText}'; use constant, step or cosine"),
        };
        var training = new TrainingOptions
        {
            Epochs = PickV(v => v.Epochs, 10),
            BatchSize = PickV(v => v.BatchSize, 128),
            Optimizer = optimizer,
            LearningRate = PickV(v => v.LearningRate, 1e-3f),
            Momentum = PickV(v => v.Momentum, 0.9f),
            WeightDecay = PickV(v => v.WeightDecay, 0f),
            Schedule = schedule,
            StepEpochs = PickV(v => v.StepEpochs, 10),
            StepGamma = PickV(v => v.StepGamma, 0.1f),
            Seed = PickV(v => v.Seed, 1UL),
        };
        try
        {
            training.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        int validation = PickV(v => v.Validation, 0);
        if (validation < 0) throw new UsageException($"--validation must be ≥ 0, got {validation}");
        string output = Pick(v => v.Output, "model.safetensors");
        CheckWritableFolder(output);
        return new TrainSettings(dataset, validation, hidden, activation, loss, training, output, flags.Preset?.ToLowerInvariant());
    }

    /// <summary>The spec for a dataset whose images have <paramref name="inputs"/> pixels and
    /// <paramref name="classes"/> classes.</summary>
    public MlpSpec Spec(int inputs, int classes) => new([inputs, .. Hidden, classes], Activation, Loss);

    private static int[] ParseLayers(string text)
    {
        if (text.Trim() is "" or "none") return [];
        var widths = new List<int>();
        foreach (string part in text.Split(','))
        {
            if (!int.TryParse(part.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int w) || w < 1 || w > 1 << 16)
                throw new UsageException($"--layers: '{part.Trim()}' in '{text}' is not a width from 1 to 65536");
            widths.Add(w);
        }
        // The flat parameter buffer is indexed by int: refuse what it cannot hold before any work starts.
        long parameters = 0;
        int previous = 784;
        foreach (int w in widths.Append(10)) { parameters += (long)previous * w + w; previous = w; }
        if (parameters > int.MaxValue)
            throw new UsageException($"--layers {text}: {parameters:N0} parameters (for 784 inputs) exceed the " +
                                     $"{int.MaxValue:N0} one parameter buffer can hold");
        return [.. widths];
    }

    private static void CheckWritableFolder(string output)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(output))!;
        if (!Directory.Exists(folder)) throw new UsageException($"--output: folder {folder} does not exist");
        if (Directory.Exists(output)) throw new UsageException($"--output: {output} is a folder; give a file name");
        string probe = Path.Combine(folder, $".digits-write-test-{Environment.ProcessId}");
        try
        {
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--output: cannot write in {folder} ({e.Message})");
        }
    }
}
