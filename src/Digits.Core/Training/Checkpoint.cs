using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Digits.Core.Backends;
using Digits.Core.Model;

namespace Digits.Core.Training;

/// <summary>A checkpoint read back: the state, the caller's metadata saved with it, and its file.</summary>
public sealed record LoadedCheckpoint(TrainingState State, IReadOnlyDictionary<string, string> Metadata, string Path);

/// <summary>
/// Checkpoint files: a <see cref="TrainingState"/> as safetensors, one file per save named
/// <c>checkpoint-{global step:D10}.safetensors</c> in a folder. Tensors: <c>parameters</c> (P, flat in
/// <see cref="ParameterLayout"/> order), <c>optimizer.state1</c>/<c>optimizer.state2</c> (P, as the optimizer
/// needs), <c>epoch.loss_sum</c> (1). Metadata: <c>format</c> ("digits-checkpoint/1"), the model's
/// <c>architecture</c>/<c>activation</c>/<c>loss</c>, <c>options</c> (JSON), the position and counters, the
/// shuffle generator's state (hex words), the history (JSON), and whatever the caller adds.
/// <para>Each save is atomic (temporary file, fsync, rename, fsync of the folder); the previous checkpoint is
/// deleted only after the new one is complete, so a crash at any moment leaves at least one whole checkpoint.
/// <see cref="LoadLatest"/> takes the newest that reads back whole.</para>
/// </summary>
public static class Checkpoint
{
    public const string Format = "digits-checkpoint/1";
    private const string Prefix = "checkpoint-", Suffix = ".safetensors";

    private static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The file a state at global step <paramref name="step"/> is saved as.</summary>
    public static string FileName(long step) => $"{Prefix}{step:D10}{Suffix}";

    /// <summary>
    /// Saves <paramref name="state"/> into <paramref name="directory"/> (created if missing) and then deletes
    /// every older checkpoint there but the one before it, and any temporary file a killed run left.
    /// Returns the new file's path.
    /// </summary>
    /// <exception cref="IOException">the folder cannot be written (nothing older is deleted then).</exception>
    /// <exception cref="UnauthorizedAccessException">no permission to write the folder.</exception>
    public static string Save(string directory, TrainingState state, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Directory.CreateDirectory(directory);
        var spec = state.Model.Spec;
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>())
        {
            ["format"] = Format,
            ["architecture"] = string.Join(',', spec.Widths),
            ["activation"] = spec.Hidden.Name(),
            ["loss"] = spec.Loss.Name(),
            ["options"] = JsonSerializer.Serialize(state.Options, Json),
            ["train_images"] = Text(state.TrainImages),
            ["steps_per_epoch"] = Text(state.StepsPerEpoch),
            ["epoch"] = Text(state.Epoch),
            ["step_in_epoch"] = Text(state.StepInEpoch),
            ["steps_taken"] = Text(state.StepsTaken),
            ["shuffle_state"] = string.Join(',', state.ShuffleState.Select(w => w.ToString("x16", CultureInfo.InvariantCulture))),
            ["epoch_correct"] = Text(state.EpochCorrect),
            ["epoch_seconds"] = state.EpochSeconds.ToString("R", CultureInfo.InvariantCulture),
            ["training_seconds"] = state.TrainingSeconds.ToString("R", CultureInfo.InvariantCulture),
            ["history"] = JsonSerializer.Serialize(state.History, Json),
        };
        int count = state.Model.Layout.Count;
        var tensors = new List<NamedTensor> { new("parameters", [count], state.Model.Parameters) };
        if (state.OptimizerState1 is { } s1) tensors.Add(new NamedTensor("optimizer.state1", [count], s1));
        if (state.OptimizerState2 is { } s2) tensors.Add(new NamedTensor("optimizer.state2", [count], s2));
        tensors.Add(new NamedTensor("epoch.loss_sum", [1], [state.EpochLossSum]));
        string path = Path.Combine(directory, FileName(state.StepsTaken));
        SafeTensors.Write(path, tensors, meta);

        // The new one is whole and on disk: now the older ones (all but the previous) and stale temporaries go.
        var older = List(directory).Where(c => c.Step < state.StepsTaken).ToList();
        foreach (var (_, file) in older.Skip(1)) TryDelete(file);
        foreach (string temp in Directory.EnumerateFiles(directory, $".{Prefix}*.tmp"))
            if (!temp.Contains($".{Environment.ProcessId}.", StringComparison.Ordinal)) TryDelete(temp);
        return path;
    }

    /// <summary>The checkpoint files in <paramref name="directory"/>, newest (highest step) first.</summary>
    public static IReadOnlyList<(long Step, string Path)> List(string directory)
    {
        if (!Directory.Exists(directory)) return [];
        var found = new List<(long, string)>();
        foreach (string file in Directory.EnumerateFiles(directory, $"{Prefix}*{Suffix}"))
        {
            string name = Path.GetFileName(file);
            string digits = name[Prefix.Length..^Suffix.Length];
            if (digits.Length == 10 && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long step))
                found.Add((step, file));
        }
        found.Sort((a, b) => b.Item1.CompareTo(a.Item1));
        return found;
    }

    /// <summary>
    /// Loads the newest checkpoint in <paramref name="directory"/> that reads back whole. A damaged newer one is
    /// passed over and <paramref name="notice"/> says so (with the reason).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">no such folder.</exception>
    /// <exception cref="FileNotFoundException">the folder holds no checkpoint file.</exception>
    /// <exception cref="ModelFormatException">every checkpoint there is damaged (the newest one's problem).</exception>
    public static LoadedCheckpoint LoadLatest(string directory, Action<string>? notice = null)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"{directory} does not exist");
        var files = List(directory);
        if (files.Count == 0)
            throw new FileNotFoundException($"{directory} holds no checkpoint ({Prefix}*{Suffix})");
        ModelFormatException? first = null;
        foreach (var (_, file) in files)
        {
            try
            {
                var loaded = Load(file);
                if (first is not null) notice?.Invoke($"{first.Message}; using {Path.GetFileName(file)} instead");
                return loaded;
            }
            catch (ModelFormatException e)
            {
                first ??= e;
            }
        }
        throw first!;
    }

    /// <summary>Loads one checkpoint file, checking every field against the others.</summary>
    /// <exception cref="ModelFormatException">not a checkpoint, or its fields disagree.</exception>
    /// <exception cref="FileNotFoundException">no such file.</exception>
    public static LoadedCheckpoint Load(string path)
    {
        var (tensors, metadata) = SafeTensors.Read(path, "a checkpoint");
        var fields = new Fields(path, metadata);
        fields.RequireFormat();
        var spec = ModelFile.SpecFrom(path, metadata);
        var options = fields.Options();
        var at = Position.Read(fields, options);
        var shuffle = fields.ShuffleState();
        int correct = (int)fields.Number("epoch_correct", 0, (long)at.StepInEpoch * at.Batch);
        var history = fields.Deserialize<List<EpochReport>>("history");
        if (history.Count != at.Epoch)
            throw fields.Bad($"history holds {history.Count} epochs; the checkpoint is after {at.Epoch}");
        var (parameters, state1, state2, lossSum) = ReadTensors(fields, tensors, new ParameterLayout(spec).Count, options.Optimizer);

        var modelMetadata = new Dictionary<string, string>();
        var state = new TrainingState
        {
            Model = new MlpModel(spec, parameters, modelMetadata),
            Options = options,
            OptimizerState1 = state1,
            OptimizerState2 = state2,
            TrainImages = at.TrainImages,
            StepsPerEpoch = at.StepsPerEpoch,
            Epoch = at.Epoch,
            StepInEpoch = at.StepInEpoch,
            ShuffleState = shuffle,
            EpochLossSum = lossSum,
            EpochCorrect = correct,
            EpochSeconds = fields.Seconds("epoch_seconds"),
            TrainingSeconds = fields.Seconds("training_seconds"),
            History = history,
        };
        return new LoadedCheckpoint(state, metadata, path);
    }

    /// <summary>A checkpoint's metadata read field by field; each problem is a <see cref="ModelFormatException"/>
    /// naming the file.</summary>
    private readonly record struct Fields(string Path, Dictionary<string, string> Metadata)
    {
        public ModelFormatException Bad(string problem) => new(Path, problem);

        public string Need(string key) => Metadata.TryGetValue(key, out var v) ? v
            : throw Bad($"metadata has no '{key}'; not a checkpoint written by {nameof(Checkpoint)}.{nameof(Save)}");

        public long Number(string key, long min, long max) =>
            long.TryParse(Need(key), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) && n >= min && n <= max
                ? n : throw Bad($"'{key}' is '{Metadata[key]}', not a whole number from {min} to {max}");

        public double Seconds(string key) =>
            double.TryParse(Need(key), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s >= 0 && double.IsFinite(s)
                ? s : throw Bad($"'{key}' is '{Metadata[key]}', not a number of seconds");

        public T Deserialize<T>(string key)
        {
            try
            {
                return JsonSerializer.Deserialize<T>(Need(key), Json) ?? throw Bad($"'{key}' is empty");
            }
            catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentException or FormatException
                                          or InvalidOperationException)
            {
                throw Bad($"'{key}' is not valid ({e.Message})");
            }
        }

        /// <summary>Refuses a file whose <c>format</c> is not <see cref="Format"/> (pointing a model file to
        /// <see cref="ModelFile.Load"/>).</summary>
        public void RequireFormat()
        {
            if (Need("format") != Format)
                throw Bad($"format is '{Metadata["format"]}'; a checkpoint is '{Format}'" +
                          (Metadata["format"] == ModelFile.Format ? $" (this is a model file: use it with {nameof(ModelFile)}.{nameof(ModelFile.Load)})" : ""));
        }

        /// <summary>The run's <see cref="TrainingOptions"/>, validated.</summary>
        public TrainingOptions Options()
        {
            var options = Deserialize<TrainingOptions>("options");
            try
            {
                options.Validate();
            }
            catch (ArgumentException e)
            {
                throw Bad($"its options are out of range: {e.Message}");
            }
            return options;
        }

        /// <summary>The shuffle generator's state: four 16-digit hex words that <see cref="SeededRandom"/> accepts.</summary>
        public ulong[] ShuffleState()
        {
            var words = Need("shuffle_state").Split(',');
            var shuffle = new ulong[words.Length];
            for (int k = 0; k < words.Length; k++)
                if (words[k].Length != 16 || !ulong.TryParse(words[k], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out shuffle[k]))
                    throw Bad("shuffle_state is not four 16-digit hex words");
            try
            {
                SeededRandom.FromState(shuffle);
            }
            catch (ArgumentException e)
            {
                throw Bad($"shuffle_state is invalid: {e.Message}");
            }
            return shuffle;
        }
    }

    /// <summary>Where a checkpointed run stands: its training set and mini-batch (<see cref="Batch"/>, the last
    /// being shorter), and the epoch and step it is at, each checked against the others.</summary>
    private readonly record struct Position(int TrainImages, int StepsPerEpoch, int Batch, int Epoch, int StepInEpoch)
    {
        public static Position Read(Fields fields, TrainingOptions options)
        {
            int trainImages = (int)fields.Number("train_images", 1, int.MaxValue);
            int stepsPerEpoch = (int)fields.Number("steps_per_epoch", 1, int.MaxValue);
            int batch = Math.Min(options.BatchSize, trainImages);
            if (stepsPerEpoch != (trainImages + batch - 1) / batch)
                throw fields.Bad($"steps_per_epoch {stepsPerEpoch} does not fit {trainImages} images in mini-batches of {batch}");
            int epoch = (int)fields.Number("epoch", 0, options.Epochs);
            int stepInEpoch = (int)fields.Number("step_in_epoch", 0, epoch == options.Epochs ? 0 : stepsPerEpoch - 1);
            long steps = fields.Number("steps_taken", 0, long.MaxValue);
            if (steps != (long)epoch * stepsPerEpoch + stepInEpoch)
                throw fields.Bad($"steps_taken {steps} disagrees with epoch {epoch} and step {stepInEpoch} of {stepsPerEpoch}");
            return new Position(trainImages, stepsPerEpoch, batch, epoch, stepInEpoch);
        }
    }

    /// <summary>The parameters (P = <paramref name="count"/>), the optimizer's state as <paramref name="optimizer"/>
    /// needs it and the epoch's loss sum: each of its shape, finite, and no other tensor.</summary>
    private static (float[] Parameters, float[]? State1, float[]? State2, float LossSum) ReadTensors(Fields fields,
        List<NamedTensor> tensors, int count, OptimizerKind optimizer)
    {
        var byName = new Dictionary<string, NamedTensor>();
        foreach (var t in tensors) byName[t.Name] = t;
        float[] Tensor(string name, int length) =>
            !byName.Remove(name, out var t) ? throw fields.Bad($"tensor '{name}' is missing")
            : t.Data.Length != length || t.Shape.Length != 1 ? throw fields.Bad($"tensor '{name}' has shape [{string.Join(',', t.Shape)}], expected [{length}]")
            : Finite(t);
        float[] Finite(NamedTensor t)
        {
            SafeTensors.RequireFinite(fields.Path, t);
            return t.Data;
        }
        var parameters = Tensor("parameters", count);
        var state1 = optimizer == OptimizerKind.Sgd ? null : Tensor("optimizer.state1", count);
        var state2 = optimizer == OptimizerKind.Adam ? Tensor("optimizer.state2", count) : null;
        float lossSum = Tensor("epoch.loss_sum", 1)[0];
        if (byName.Count > 0)
            throw fields.Bad($"unexpected tensor '{byName.Keys.First()}' for a {optimizer} checkpoint");
        if (!float.IsFinite(lossSum) || lossSum < 0) throw fields.Bad($"epoch.loss_sum is {lossSum}");
        return (parameters, state1, state2, lossSum);
    }

    private static string Text(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
