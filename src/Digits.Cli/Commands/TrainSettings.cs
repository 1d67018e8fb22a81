using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Digits.Api;
using Digits.Cli.Verbs;
using Digits.Core.Backends;
using Digits.Core.Data;
using Digits.Core.Model;
using Digits.Core.Training;
using Digits.Imaging;

namespace Digits.Cli.Commands;

/// <summary>A <c>digits train</c> command line resolved: preset values, then explicit flags, then defaults, every
/// value checked before any work starts (a bad one is a <see cref="UsageException"/> naming the flag).</summary>
internal sealed record TrainSettings(DatasetSpec Dataset, int Validation, int[] Hidden, Activation Activation,
    LossKind Loss, TrainingOptions Training, string Output, string? Preset)
{
    /// <summary>What <c>--init</c> changes in the defaults (explicit flags still win); <see cref="TrainVerb.InitHelp"/>
    /// says why each is what it is.</summary>
    public static readonly TrainVerb FineTune = new() { LearningRate = 1e-4f, BatchSize = 32, Epochs = 5 };

    /// <summary>These settings with the architecture of the model <c>--init</c> starts from.</summary>
    public TrainSettings WithArchitectureOf(MlpSpec spec) => this with
    {
        Hidden = spec.Widths.Skip(1).SkipLast(1).ToArray(), Activation = spec.Hidden, Loss = spec.Loss,
    };
    /// <summary>The device to open (null: auto): <c>--device</c>, or for a resumed run the device it ran on.</summary>
    public string? Device { get; init; }

    /// <summary>Whether the training set gains the reject class (<see cref="NotADigit"/>): <c>--reject-class</c>.</summary>
    public bool RejectClass { get; init; }

    /// <summary>CPU threads (null: every core): <c>--threads</c>, or for a resumed CPU run the count it ran with.</summary>
    public int? Threads { get; init; }

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
        ["speedrun"] = new() { Layers = "256", Optimizer = "adam", LearningRate = 3e-3f, BatchSize = 64, Epochs = 3, Schedule = "cosine" },
        // Deeper and longer, with weight decay: the most accurate recipe here.
        ["deep"] = new()
        {
            Layers = "512,256,128", Optimizer = "adam", LearningRate = 1e-3f, BatchSize = 128, Epochs = 20, Schedule = "cosine",
            WeightDecay = 1e-4f,
        },
        // Dropout without augmentation (Srivastava et al. 2014: 0.2 on the input, 0.5 on the hidden units) on two wide
        // layers: dropout halves the units each step, so width pays. With 1024 units (seed 1) 60 epochs reached 98.90 %,
        // and 100 epochs with max-norm 3.5 reached 98.88 %.
        ["best"] = new()
        {
            Layers = "2048,2048", Optimizer = "adam", LearningRate = 1e-3f, BatchSize = 128, Epochs = 60, Schedule = "cosine",
            Dropout = "0.5", InputDropout = 0.2f,
        },
        // Affine and elastic distortions drawn afresh every epoch (Simard et al. 2003; Cireşan et al. 2010). The
        // network underfits the distorted digits for a long time: 60 epochs reached 99.46 % (seed 1).
        ["augmented"] = new()
        {
            Layers = "1024,1024", Optimizer = "adam", LearningRate = 1e-3f, BatchSize = 128, Epochs = 150, Schedule = "cosine",
            Augment = "affine,elastic",
        },
    };

    public static TrainSettings Resolve(TrainVerb flags)
    {
        var pick = new FlagsOverPreset(flags, PresetOf(flags));
        var dataset = ParseDataset(pick.Text(v => v.Dataset, "mnist"));
        int[] hidden = ParseLayers(pick.Text(v => v.Layers, "256,128"));
        var activation = ParseActivation(pick.Text(v => v.Activation, "relu"));
        var loss = ParseLoss(pick.Text(v => v.Loss, "cross-entropy"));
        var training = ResolveTraining(pick, hidden.Length);
        int validation = pick.Number(v => v.Validation, 0);
        RequireValidation(validation, dataset);
        string output = pick.Text(v => v.Output, "model.safetensors");
        OutputCheck.Require(output, "train");
        return new TrainSettings(dataset, validation, hidden, activation, loss, training, output, flags.Preset?.ToLowerInvariant())
        {
            Device = flags.Device, Threads = flags.Threads, RejectClass = flags.RejectClass,
        };
    }

    /// <summary>A setting's value: the flag given, else the preset's, else the default.</summary>
    private readonly record struct FlagsOverPreset(TrainVerb Flags, TrainVerb? Preset)
    {
        public string? Text(Func<TrainVerb, string?> get) => get(Flags) ?? (Preset is null ? null : get(Preset));
        public string Text(Func<TrainVerb, string?> get, string fallback) => Text(get) ?? fallback;
        public T? Number<T>(Func<TrainVerb, T?> get) where T : struct => get(Flags) ?? (Preset is null ? null : get(Preset));
        public T Number<T>(Func<TrainVerb, T?> get, T fallback) where T : struct => Number(get) ?? fallback;
    }

    /// <summary>The preset whose values stand in for flags not given: <c>--preset</c>'s, or <see cref="FineTune"/>
    /// with <c>--init</c> (which refuses the flags that would change the architecture).</summary>
    private static TrainVerb? PresetOf(TrainVerb flags)
    {
        TrainVerb? preset = null;
        if (flags.Preset is { } name && !Presets.TryGetValue(name.ToLowerInvariant(), out preset))
            throw new UsageException($"--preset: unknown preset '{name}'; presets are {string.Join(", ", Presets.Keys)}");
        if (flags.Init is null) return preset;
        foreach (var (given, flag) in new[] { (flags.Preset, "--preset"), (flags.Layers, "--layers"),
                     (flags.Activation, "--activation"), (flags.Loss, "--loss") })
            if (given is not null)
                throw new UsageException($"{flag} cannot be used with --init: fine-tuning keeps the architecture of " +
                                         "the model it starts from");
        return FineTune;
    }

    /// <summary>The optimizer, schedule, regularization and augmentation settings, checked.</summary>
    private static TrainingOptions ResolveTraining(FlagsOverPreset pick, int hiddenLayers)
    {
        var optimizer = ParseOptimizer(pick.Text(v => v.Optimizer, "adam"));
        var schedule = ParseSchedule(pick.Text(v => v.Schedule, "cosine"));
        var dropout = ParseDropout(pick.Text(v => v.Dropout), hiddenLayers);
        var training = new TrainingOptions
        {
            Epochs = pick.Number(v => v.Epochs, 10),
            BatchSize = pick.Number(v => v.BatchSize, 128),
            Optimizer = optimizer,
            LearningRate = pick.Number(v => v.LearningRate, 1e-3f),
            Momentum = pick.Number(v => v.Momentum, 0.9f),
            WeightDecay = pick.Number(v => v.WeightDecay, 0f),
            Schedule = schedule,
            StepEpochs = pick.Number(v => v.StepEpochs, 10),
            StepGamma = pick.Number(v => v.StepGamma, 0.1f),
            Seed = pick.Number(v => v.Seed, 1UL),
            InputDropout = pick.Number(v => v.InputDropout, 0f),
            MaxNorm = pick.Number(v => v.MaxNorm, 0f),
            Dropout = dropout,
            Augment = AugmentFlags.Build(pick.Text(v => v.Augment), pick.Number(v => v.Rotate), pick.Number(v => v.Scale),
                pick.Number(v => v.Shear), pick.Number(v => v.Translate), pick.Number(v => v.ElasticSigma),
                pick.Number(v => v.ElasticAlpha)),
        };
        try
        {
            training.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        return training;
    }

    private static DatasetSpec ParseDataset(string text)
    {
        try
        {
            return DatasetSpec.Parse(text);
        }
        catch (FormatException e)
        {
            throw new UsageException($"--dataset: {e.Message}");
        }
    }

    private static Activation ParseActivation(string text) =>
        ActivationNames.TryParseActivation(text, out var activation) && activation != Activation.Identity ? activation
            : throw new UsageException($"--activation: unknown activation '{text}'; use relu, sigmoid or tanh");

    private static LossKind ParseLoss(string text) =>
        ActivationNames.TryParseLoss(text, out var loss) ? loss
            : throw new UsageException($"--loss: unknown loss '{text}'; use cross-entropy or mse");

    private static OptimizerKind ParseOptimizer(string text) => text.ToLowerInvariant() switch
    {
        "sgd" => OptimizerKind.Sgd,
        "momentum" => OptimizerKind.Momentum,
        "adam" => OptimizerKind.Adam,
        _ => throw new UsageException($"--optimizer: unknown optimizer '{text}'; use sgd, momentum or adam"),
    };

    private static ScheduleKind ParseSchedule(string text) => text.ToLowerInvariant() switch
    {
        "constant" => ScheduleKind.Constant,
        "step" => ScheduleKind.Step,
        "cosine" => ScheduleKind.Cosine,
        _ => throw new UsageException($"--lr-schedule: unknown schedule '{text}'; use constant, step or cosine"),
    };

    /// <summary>The dropout rates of <c>--dropout</c>: one, or one per hidden layer; null when not given or all 0.</summary>
    private static DropoutRates? ParseDropout(string? text, int hiddenLayers)
    {
        if (text is null) return null;
        DropoutRates rates;
        try
        {
            rates = DropoutRates.Parse(text);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        if (rates.Values.Count != 1 && rates.Values.Count != hiddenLayers)
            throw new UsageException($"--dropout gives {rates.Values.Count} rates for {hiddenLayers} hidden layers; give one rate, or one per hidden layer");
        if (hiddenLayers == 0 && rates.Values.Any(r => r > 0))
            throw new UsageException("--dropout needs hidden layers (--layers); use --input-dropout for the input");
        return rates.Values.Any(r => r > 0) ? rates : null;
    }

    private static void RequireValidation(int validation, DatasetSpec dataset)
    {
        if (validation < 0) throw new UsageException($"--validation must be ≥ 0, got {validation}");
        if (dataset is DatasetSpec.Named named && validation >= DatasetCatalog.TrainCount)
            throw new UsageException($"--validation {validation} must be less than the {DatasetCatalog.TrainCount} " +
                                     $"training images of {named.Info.Name}");
    }

    /// <summary>The flags that decide a run's numbers (everything but where it runs and where output goes).</summary>
    private static readonly string[] RunFlags =
    [
        "dataset", "validation", "layers", "activation", "loss", "epochs", "batch-size", "optimizer", "lr",
        "lr-schedule", "lr-step-epochs", "lr-gamma", "momentum", "weight-decay", "seed", "dropout", "input-dropout",
        "max-norm", "augment", "rotate", "scale", "shear", "translate", "elastic-sigma", "elastic-alpha", "reject-class",
    ];

    /// <summary>These settings as flag values (long name → text), saved in checkpoints for <c>--resume</c>: the
    /// output as a full path (a resumed run started in another folder writes the same file), and the device and
    /// thread count when set (<see cref="OnDevice"/> sets them to what the run uses).</summary>
    public string ToFlagsJson()
    {
        var o = Training;
        string F(float x) => x.ToString("R", CultureInfo.InvariantCulture);
        var flags = new Dictionary<string, string>
        {
            ["dataset"] = Dataset.ToString()!,
            ["validation"] = Validation.ToString(CultureInfo.InvariantCulture),
            ["layers"] = Hidden.Length == 0 ? "none" : string.Join(',', Hidden),
            ["activation"] = Activation.Name(),
            ["loss"] = Loss.Name(),
            ["epochs"] = o.Epochs.ToString(CultureInfo.InvariantCulture),
            ["batch-size"] = o.BatchSize.ToString(CultureInfo.InvariantCulture),
            ["optimizer"] = o.Optimizer.ToString().ToLowerInvariant(),
            ["lr"] = F(o.LearningRate),
            ["lr-schedule"] = o.Schedule.ToString().ToLowerInvariant(),
            ["lr-step-epochs"] = o.StepEpochs.ToString(CultureInfo.InvariantCulture),
            ["lr-gamma"] = F(o.StepGamma),
            ["momentum"] = F(o.Momentum),
            ["weight-decay"] = F(o.WeightDecay),
            ["seed"] = o.Seed.ToString(CultureInfo.InvariantCulture),
            ["input-dropout"] = F(o.InputDropout),
            ["max-norm"] = F(o.MaxNorm),
            ["output"] = Path.GetFullPath(Output),
        };
        if (Device is not null) flags["device"] = Device;
        if (Threads is { } threads) flags["threads"] = threads.ToString(CultureInfo.InvariantCulture);
        if (o.Dropout is not null) flags["dropout"] = o.Dropout.ToString();
        if (o.Augment is { } a)
        {
            flags["augment"] = a.Kinds;
            flags["rotate"] = F(a.RotationDegrees);
            flags["scale"] = F(a.Scale);
            flags["shear"] = F(a.ShearDegrees);
            flags["translate"] = F(a.TranslatePixels);
            flags["elastic-sigma"] = F(a.ElasticSigma);
            flags["elastic-alpha"] = F(a.ElasticAlpha);
        }
        if (Preset is not null) flags["preset"] = Preset;
        if (RejectClass) flags["reject-class"] = "true";
        return JsonSerializer.Serialize(flags);
    }

    /// <summary>These settings with the device the run uses: <paramref name="backend"/>'s name, and its thread count
    /// on the CPU backend (what a resumed run needs to end bit-identical; no other backend takes one).</summary>
    public TrainSettings OnDevice(IBackend backend) =>
        this with { Device = backend.Name, Threads = backend is Cpu.CpuBackend cpu ? cpu.Threads : null };

    /// <summary>
    /// The settings of a run being resumed: those saved in its checkpoint (<paramref name="savedFlags"/>, from
    /// <see cref="ToFlagsJson"/>), with <paramref name="user"/>'s output flags. A flag given now that would change
    /// the training (a different --lr, --epochs, …) is refused, naming both values; so are a different --device and
    /// --threads than the run recorded (on the CPU the thread count decides the bits of the result). A checkpoint
    /// that recorded neither (before they were recorded) runs where --device and --threads say.
    /// </summary>
    /// <exception cref="UsageException">the saved flags are unreadable, or a flag conflicts with them.</exception>
    public static TrainSettings ForResume(TrainVerb user, string checkpointName, string? savedFlags)
    {
        var options = Help.Options(typeof(TrainVerb)).ToDictionary(o => o.Name, o => o.Property);
        var flags = ReadSavedFlags(checkpointName, savedFlags, options);
        flags.Output = user.Output ?? flags.Output;
        RequireSameDevice(user, flags);
        flags.Device ??= user.Device;
        flags.Threads ??= user.Threads;
        TrainSettings resolved;
        try
        {
            resolved = Resolve(flags);
        }
        catch (UsageException e) when (!e.Message.StartsWith("--output", StringComparison.Ordinal))
        {
            throw new UsageException($"--resume: {checkpointName} records settings that are out of range ({e.Message})");
        }
        foreach (string name in RunFlags.Append("preset"))
        {
            var property = options[name];
            var mine = property.GetValue(user);
            if (mine is null or false) continue; // a switch not given is not a conflict
            var trial = flags.Copy();
            property.SetValue(trial, mine);
            bool same = name == "preset"
                ? string.Equals(mine as string, resolved.Preset, StringComparison.OrdinalIgnoreCase)
                : resolved.SameTraining(Resolve(trial));
            if (!same)
                throw new UsageException(
                    $"--resume: --{name} {Text(mine)} differs from the checkpoint's {(property.GetValue(flags) is { } v ? Text(v) : "(none)")}; " +
                    $"a resumed run keeps its settings (drop --{name}, or start a new run without --resume)");
        }
        return resolved;

        static string Text(object v) => v is float f ? f.ToString(CultureInfo.InvariantCulture) : v.ToString()!;
    }

    /// <summary>The flags a checkpoint recorded (<paramref name="savedFlags"/>, from <see cref="ToFlagsJson"/>), each
    /// set on a fresh <see cref="TrainVerb"/> through its property in <paramref name="options"/>.</summary>
    /// <exception cref="UsageException">the flags are missing or unreadable, name an unknown setting or hold an invalid
    /// value.</exception>
    private static TrainVerb ReadSavedFlags(string checkpointName, string? savedFlags,
        Dictionary<string, PropertyInfo> options)
    {
        Dictionary<string, string>? saved = null;
        try
        {
            if (savedFlags is not null) saved = JsonSerializer.Deserialize<Dictionary<string, string>>(savedFlags);
        }
        catch (JsonException)
        {
        }
        if (saved is null)
            throw new UsageException($"--resume: {checkpointName} does not record the run's settings; it was not written by digits train");
        var flags = new TrainVerb();
        foreach (var (name, text) in saved)
        {
            if (!options.TryGetValue(name, out var property))
                throw new UsageException($"--resume: {checkpointName} records an unknown setting '{name}'");
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            object? value = type == typeof(string) ? text
                : type == typeof(int) && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int i) ? (object)i
                : type == typeof(float) && float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float f) ? (object)f
                : type == typeof(ulong) && ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong u) ? (object)u
                : type == typeof(bool) && bool.TryParse(text, out bool b) ? (object)b
                : throw new UsageException($"--resume: {checkpointName} records '{name}' as '{text}', which is not valid");
            property.SetValue(flags, value);
        }
        return flags;
    }

    /// <summary>Refuses a <c>--device</c> or <c>--threads</c> given now that differs from what the checkpointed run
    /// recorded in <paramref name="saved"/>: <c>cuda</c> is <c>cuda:0</c>, <c>--threads 0</c> is one per logical
    /// processor here.</summary>
    /// <exception cref="UsageException">a difference, naming both values.</exception>
    private static void RequireSameDevice(TrainVerb user, TrainVerb saved)
    {
        static string Normal(string device) =>
            DeviceName.Parse(device, allowAuto: true) is var n && n.Kind is "cuda" or "opencl" ? $"{n.Kind}:{n.Index ?? 0}" : n.Kind;
        static UsageException Differs(string flag, object mine, object theirs) => new(
            $"--resume: --{flag} {mine} differs from the checkpoint's {theirs}; a resumed run keeps the device and " +
            $"thread count it ran with, which its results depend on (drop --{flag}, or start a new run without --resume)");
        if (saved.Device is not { } ran) return;
        string recorded, mine;
        try
        {
            recorded = Normal(ran);
        }
        catch (FormatException)
        {
            throw new UsageException($"--resume: the checkpoint records the device '{ran}', which is not a device name");
        }
        try
        {
            mine = user.Device is { } device ? Normal(device) : recorded;
        }
        catch (FormatException e)
        {
            throw new UsageException($"--device: {e.Message}");
        }
        if (mine != recorded) throw Differs("device", user.Device!, ran);
        if (user.Threads is { } threads && saved.Threads is { } count &&
            (threads == 0 ? Environment.ProcessorCount : threads) != count)
            throw Differs("threads", threads, count);
    }

    /// <summary>Whether two settings train the same way (output paths aside).</summary>
    public bool SameTraining(TrainSettings other) =>
        Dataset.ToString() == other.Dataset.ToString() && Validation == other.Validation &&
        Hidden.AsSpan().SequenceEqual(other.Hidden) && Activation == other.Activation && Loss == other.Loss &&
        Training == other.Training && RejectClass == other.RejectClass;

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
}
