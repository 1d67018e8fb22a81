using System.Globalization;
using System.Text.Json;
using Digits.Core.Backends;

namespace Digits.Core.Model;

/// <summary>
/// Saves and loads an <see cref="MlpModel"/> as safetensors: tensors "layers.{l}.weight" (O, I) and
/// "layers.{l}.bias" (O), and metadata keys <c>format</c> ("digits-mlp/1"), <c>architecture</c>
/// ("784,256,10"), <c>activation</c>, <c>loss</c>, plus whatever the trainer adds (dataset, normalization,
/// seed, epochs, accuracy, …).
/// </summary>
public static class ModelFile
{
    public const string Format = "digits-mlp/1";

    /// <summary>Writes <paramref name="model"/> atomically (see <see cref="SafeTensors.Write"/>).</summary>
    public static void Save(string path, MlpModel model) =>
        Save(path, model, Format, ParameterLayout.WeightName, ParameterLayout.BiasName);

    /// <summary>Writes <paramref name="model"/> atomically with its metadata (architecture, activation, loss,
    /// <paramref name="format"/> and <paramref name="extra"/> entries) and layer l's weight (O, I) and bias (O) under
    /// the names <paramref name="weightName"/>(l) and <paramref name="biasName"/>(l): the one writer behind the Digits
    /// layout and PyTorch's (<see cref="TorchSequential"/>).</summary>
    internal static void Save(string path, MlpModel model, string format, Func<int, string> weightName,
        Func<int, string> biasName, IReadOnlyDictionary<string, string>? extra = null)
    {
        var spec = model.Spec;
        var layout = model.Layout;
        var metadata = new Dictionary<string, string>(model.Metadata)
        {
            ["format"] = format,
            ["architecture"] = string.Join(',', spec.Widths),
            ["activation"] = spec.Hidden.Name(),
            ["loss"] = spec.Loss.Name(),
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>()) metadata[key] = value;
        var tensors = new List<NamedTensor>();
        for (int l = 0; l < spec.Layers; l++)
        {
            tensors.Add(new NamedTensor(weightName(l), [spec.Widths[l + 1], spec.Widths[l]],
                model.Parameters.AsSpan(layout.WeightOffset(l), layout.WeightLength(l)).ToArray()));
            tensors.Add(new NamedTensor(biasName(l), [spec.Widths[l + 1]],
                model.Parameters.AsSpan(layout.BiasOffset(l), layout.BiasLength(l)).ToArray()));
        }
        SafeTensors.Write(path, tensors, metadata);
    }

    /// <summary>Loads a model saved by <see cref="Save(string, MlpModel)"/>, checking the metadata against the tensors; also a file in
    /// PyTorch's nn.Sequential layout (<see cref="TorchSequential"/>) whose metadata names its activation.</summary>
    /// <exception cref="ModelFormatException">not a Digits model, its metadata and tensors disagree, or a parameter
    /// is NaN or infinite.</exception>
    /// <exception cref="FileNotFoundException">no such file.</exception>
    public static MlpModel Load(string path)
    {
        var (tensors, metadata) = SafeTensors.Read(path, "a model");
        var format = metadata.GetValueOrDefault("format");
        if ((format is null || format == TorchSequential.Format) && TorchSequential.Looks(tensors))
        {
            // PyTorch's nn.Sequential layout ("0.weight", "0.bias", "2.weight", …): from Digits' torch-safetensors
            // export, or from PyTorch itself when its metadata names the activation (else digits import says it).
            var torch = TorchSequential.FromTensors(path, tensors, metadata);
            CheckInputShape(path, metadata, torch.Spec);
            CheckClassNames(path, metadata, torch.Spec);
            return torch;
        }
        if (format is null)
            throw new ModelFormatException(path, "metadata has no 'format'; not a model saved by digits train");
        if (format != Format)
            throw new ModelFormatException(path, $"format is '{format}', this version reads '{Format}'" +
                                                 (format == Training.Checkpoint.Format ? $" (this is a checkpoint: use it with {nameof(Training.Checkpoint)}.{nameof(Training.Checkpoint.Load)})" : ""));
        var spec = SpecFrom(path, metadata);
        var widths = spec.Widths;
        string architecture = string.Join(',', widths);
        CheckInputShape(path, metadata, spec);
        CheckClassNames(path, metadata, spec);

        // Every tensor is matched to the architecture before anything is allocated by it, so metadata widths can
        // never ask for more memory than the file's own tensors hold.
        var expected = new Dictionary<string, int[]>();
        for (int l = 0; l < spec.Layers; l++)
        {
            expected[ParameterLayout.WeightName(l)] = [widths[l + 1], widths[l]];
            expected[ParameterLayout.BiasName(l)] = [widths[l + 1]];
        }
        var byName = tensors.ToDictionary(t => t.Name);
        foreach (var t in tensors)
            if (!expected.ContainsKey(t.Name))
                throw new ModelFormatException(path, $"tensor '{t.Name}' is not part of architecture {architecture}, " +
                    $"whose tensors are {ParameterLayout.WeightName(0)} … {ParameterLayout.BiasName(spec.Layers - 1)}");
        long total = 0;
        foreach (var (name, shape) in expected)
        {
            if (!byName.TryGetValue(name, out var t))
                throw new ModelFormatException(path, $"tensor '{name}' is missing (architecture {architecture})");
            if (!t.Shape.SequenceEqual(shape))
                throw new ModelFormatException(path,
                    $"tensor '{name}' has shape [{string.Join(',', t.Shape)}]; the architecture says [{string.Join(',', shape)}]");
            total += t.Data.Length;
        }
        foreach (var name in expected.Keys) SafeTensors.RequireFinite(path, byName[name]);
        if (total > Array.MaxLength)
            throw new ModelFormatException(path, $"architecture {architecture} has {total:N0} parameters, more than one array holds");
        var layout = new ParameterLayout(spec);
        var parameters = new float[layout.Count];
        for (int l = 0; l < spec.Layers; l++)
        {
            byName[ParameterLayout.WeightName(l)].Data.CopyTo(parameters, layout.WeightOffset(l));
            byName[ParameterLayout.BiasName(l)].Data.CopyTo(parameters, layout.BiasOffset(l));
        }
        return new MlpModel(spec, parameters, metadata);
    }

    /// <summary>Metadata <c>input_shape</c> ("28,28"), when present, must multiply out to the input width.</summary>
    private static void CheckInputShape(string path, Dictionary<string, string> metadata, MlpSpec spec)
    {
        if (!metadata.TryGetValue("input_shape", out var text)) return;
        long pixels = 1;
        foreach (var part in text.Split(','))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int size) || size < 1 ||
                (pixels *= size) > int.MaxValue)
                throw new ModelFormatException(path, $"metadata input_shape '{text}' is not a list of sizes like '28,28'");
        }
        if (pixels != spec.Inputs)
            throw new ModelFormatException(path, $"metadata input_shape '{text}' is {pixels} pixels per image but the " +
                $"architecture {string.Join(',', spec.Widths)} takes {spec.Inputs} inputs; the metadata and tensors disagree");
    }

    /// <summary>Metadata <c>class_names</c> (a JSON list of strings), when present, must name every output.</summary>
    private static void CheckClassNames(string path, Dictionary<string, string> metadata, MlpSpec spec)
    {
        if (!metadata.TryGetValue("class_names", out var json)) return;
        string[]? names;
        try
        {
            names = JsonSerializer.Deserialize<string[]>(json);
        }
        catch (JsonException)
        {
            names = null;
        }
        if (names is null || names.Any(n => n is null))
            throw new ModelFormatException(path, "metadata class_names is not a JSON list of strings");
        if (names.Length != spec.Outputs)
            throw new ModelFormatException(path, $"metadata class_names lists {names.Length} classes but the architecture " +
                $"{string.Join(',', spec.Widths)} has {spec.Outputs} outputs; the metadata and tensors disagree");
    }

    /// <summary>The <see cref="MlpSpec"/> described by a model's or checkpoint's metadata keys <c>architecture</c>,
    /// <c>activation</c> and <c>loss</c>.</summary>
    /// <exception cref="ModelFormatException">a key is missing or does not describe a valid network.</exception>
    public static MlpSpec SpecFrom(string path, IReadOnlyDictionary<string, string> metadata)
    {
        string Need(string key) => metadata.TryGetValue(key, out var v) ? v
            : throw new ModelFormatException(path, $"metadata has no '{key}'; not a file saved by digits train");
        var widths = new List<int>();
        foreach (var part in Need("architecture").Split(','))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int w) || w < 1 || w > 1 << 20)
                throw new ModelFormatException(path, $"architecture '{metadata["architecture"]}' is not a list of widths");
            widths.Add(w);
        }
        if (!ActivationNames.TryParseActivation(Need("activation"), out var activation) || activation == Activation.Identity)
            throw new ModelFormatException(path, $"unknown activation '{metadata["activation"]}'");
        if (!ActivationNames.TryParseLoss(Need("loss"), out var loss))
            throw new ModelFormatException(path, $"unknown loss '{metadata["loss"]}'");
        MlpSpec spec;
        try
        {
            spec = new MlpSpec(widths, activation, loss);
            _ = new ParameterLayout(spec);
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException(path, e.Message);
        }
        catch (OverflowException)
        {
            throw new ModelFormatException(path, $"architecture {string.Join(',', widths)} has more parameters than one buffer holds");
        }
        return spec;
    }
}
