using System.Globalization;
using System.Text.RegularExpressions;
using Digits.Core.Backends;

namespace Digits.Core.Model;

/// <summary>
/// An MLP in the layout of PyTorch's <c>nn.Sequential</c> of <c>nn.Linear</c> layers with an activation module
/// between them: tensors <c>"{i}.weight"</c> (out, in) and <c>"{i}.bias"</c> (out), where i is the Linear's index in
/// the Sequential. Digits writes i = 0, 2, 4, … (Linear, activation, Linear, …), which is what
/// <c>nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)).state_dict()</c> holds and what
/// <c>safetensors.torch.save_file</c> writes. A file read may use any increasing indices (a Dropout between layers
/// shifts them), with F32, F16 or BF16 tensors (see <see cref="SafeTensors"/>).
/// </summary>
public static partial class TorchSequential
{
    /// <summary>The metadata <c>format</c> Digits writes into such a file (PyTorch ignores metadata).</summary>
    public const string Format = "pytorch-sequential/1";

    [GeneratedRegex(@"^(?<index>[0-9]{1,6})\.(?<kind>weight|bias)$")]
    private static partial Regex TensorName();

    /// <summary>The Sequential index of layer <paramref name="layer"/>'s Linear as Digits writes it: 2·layer.</summary>
    public static int ModuleIndex(int layer) => 2 * layer;

    /// <summary>True when every tensor is named like <c>"0.weight"</c> / <c>"0.bias"</c>: a PyTorch Sequential file.</summary>
    public static bool Looks(IReadOnlyCollection<NamedTensor> tensors) =>
        tensors.Count > 0 && tensors.All(t => TensorName().IsMatch(t.Name));

    /// <summary>
    /// Writes <paramref name="model"/> in PyTorch's layout, atomically (see <see cref="SafeTensors.Write"/>), with the
    /// model's metadata, <c>format</c> set to <see cref="Format"/>, and <c>torch_modules</c> describing the matching
    /// Sequential (e.g. <c>Linear(784, 256), ReLU(), Linear(256, 10)</c>).
    /// </summary>
    public static void Save(string path, MlpModel model) =>
        ModelFile.Save(path, model, Format, l => $"{ModuleIndex(l)}.weight", l => $"{ModuleIndex(l)}.bias",
            new Dictionary<string, string> { ["torch_modules"] = Modules(model.Spec) });

    /// <summary>The PyTorch modules of <paramref name="spec"/>, e.g. <c>Linear(784, 256), ReLU(), Linear(256, 10)</c>
    /// (a final <c>Sigmoid()</c> for an mse model).</summary>
    public static string Modules(MlpSpec spec)
    {
        var modules = new List<string>();
        for (int l = 0; l < spec.Layers; l++)
        {
            modules.Add($"Linear({spec.Widths[l]}, {spec.Widths[l + 1]})");
            var a = spec.ActivationOf(l);
            if (a != Activation.Identity) modules.Add(TorchName(a));
        }
        return string.Join(", ", modules);
    }

    private static string TorchName(Activation a) => a switch
    {
        Activation.Relu => "ReLU()",
        Activation.Sigmoid => "Sigmoid()",
        Activation.Tanh => "Tanh()",
        _ => a.ToString(),
    };

    /// <summary>
    /// Builds an <see cref="MlpModel"/> from a PyTorch Sequential's tensors. The hidden activation and loss come from
    /// <paramref name="activation"/> and <paramref name="loss"/> when given, else from the metadata keys
    /// <c>activation</c> and <c>loss</c> (loss defaults to cross-entropy: a Sequential ending in a Linear gives logits).
    /// </summary>
    /// <exception cref="ModelFormatException">a tensor that is not a Linear's weight or bias, a Linear without a bias,
    /// shapes that do not chain, no activation known, or a NaN or infinite value.</exception>
    public static MlpModel FromTensors(string path, IReadOnlyList<NamedTensor> tensors,
        IReadOnlyDictionary<string, string> metadata, Activation? activation = null, LossKind? loss = null)
    {
        var (linears, widths) = Chain(path, ByModule(path, tensors));
        var hidden = activation ?? HiddenActivation(path, metadata, widths.Count);
        var kind = loss ?? LossOf(path, metadata);
        MlpSpec spec;
        ParameterLayout layout;
        try
        {
            spec = new MlpSpec(widths, hidden, kind);
            layout = new ParameterLayout(spec);
        }
        catch (OverflowException)
        {
            throw new ModelFormatException(path, $"architecture {string.Join(',', widths)} has more parameters than one buffer holds");
        }
        var parameters = new float[layout.Count];
        for (int k = 0; k < linears.Count; k++)
        {
            var (weight, bias) = linears[k];
            SafeTensors.RequireFinite(path, weight);
            SafeTensors.RequireFinite(path, bias);
            weight.Data.CopyTo(parameters, layout.WeightOffset(k));
            bias.Data.CopyTo(parameters, layout.BiasOffset(k));
        }
        var kept = new Dictionary<string, string>(metadata);
        kept.Remove("format");
        kept.Remove("torch_modules");
        kept["architecture"] = string.Join(',', widths);
        kept["activation"] = hidden.Name();
        kept["loss"] = kind.Name();
        return new MlpModel(spec, parameters, kept);
    }

    /// <summary>The tensors by Sequential index, each module's weight and bias (either may be missing).</summary>
    /// <exception cref="ModelFormatException">a tensor not named <c>N.weight</c> or <c>N.bias</c>, or no tensor.</exception>
    private static SortedDictionary<int, (NamedTensor? Weight, NamedTensor? Bias)> ByModule(string path,
        IReadOnlyList<NamedTensor> tensors)
    {
        var modules = new SortedDictionary<int, (NamedTensor? Weight, NamedTensor? Bias)>();
        foreach (var t in tensors)
        {
            var match = TensorName().Match(t.Name);
            if (!match.Success)
                throw new ModelFormatException(path, $"tensor '{t.Name}' is not a Linear layer's 'N.weight' or 'N.bias'; " +
                                                     "Digits reads an nn.Sequential of nn.Linear layers and activations only");
            int index = int.Parse(match.Groups["index"].Value, CultureInfo.InvariantCulture);
            var entry = modules.GetValueOrDefault(index);
            modules[index] = match.Groups["kind"].Value == "weight" ? (t, entry.Bias) : (entry.Weight, t);
        }
        if (modules.Count == 0) throw new ModelFormatException(path, "file holds no tensors");
        return modules;
    }

    /// <summary>The Linear layers in index order and the widths they chain (I, H…, O), each module checked in turn.</summary>
    /// <exception cref="ModelFormatException">a weight or bias missing, shapes that are not a Linear's, or a layer whose
    /// inputs are not the previous one's outputs.</exception>
    private static (List<(NamedTensor Weight, NamedTensor Bias)> Linears, List<int> Widths) Chain(string path,
        SortedDictionary<int, (NamedTensor? Weight, NamedTensor? Bias)> modules)
    {
        var linears = new List<(NamedTensor, NamedTensor)>();
        var widths = new List<int>();
        foreach (var (index, (weight, bias)) in modules)
        {
            if (weight is null)
                throw new ModelFormatException(path, $"module {index} has a bias but no '{index}.weight'");
            if (bias is null)
                throw new ModelFormatException(path, $"module {index} ('{index}.weight') has no '{index}.bias'; Digits " +
                                                     "needs every Linear to have a bias (nn.Linear(..., bias=True))");
            if (weight.Shape.Length != 2 || bias.Shape.Length != 1 || bias.Shape[0] != weight.Shape[0] || weight.Shape[0] < 1 ||
                weight.Shape[1] < 1)
                throw new ModelFormatException(path, $"module {index}: weight [{string.Join(',', weight.Shape)}] and bias " +
                                                     $"[{string.Join(',', bias.Shape)}] are not a Linear's (out, in) and (out)");
            if (widths.Count == 0) widths.Add(weight.Shape[1]);
            else if (widths[^1] != weight.Shape[1])
                throw new ModelFormatException(path, $"module {index} takes {weight.Shape[1]} inputs but the layer before it " +
                                                     $"gives {widths[^1]}; not a chain of Linear layers");
            widths.Add(weight.Shape[0]);
            linears.Add((weight, bias));
        }
        return (linears, widths);
    }

    /// <summary>The hidden activation the metadata names; ReLU for a single Linear (<paramref name="widths"/> = 2:
    /// no hidden layer, the choice is moot).</summary>
    /// <exception cref="ModelFormatException">no <c>activation</c> metadata, or not relu, sigmoid or tanh.</exception>
    private static Activation HiddenActivation(string path, IReadOnlyDictionary<string, string> metadata, int widths)
    {
        if (widths == 2) return Activation.Relu;
        string? activationText = metadata.GetValueOrDefault("activation");
        if (activationText is null)
            throw new ModelFormatException(path, "the file does not say which activation sits between its Linear layers " +
                                                 $"(no 'activation' metadata); name it: {nameof(TorchSequential)}.{nameof(FromTensors)}(activation) relu|sigmoid|tanh");
        if (!ActivationNames.TryParseActivation(activationText, out var hidden) || hidden == Activation.Identity)
            throw new ModelFormatException(path, $"metadata activation '{activationText}' is not relu, sigmoid or tanh");
        return hidden;
    }

    /// <summary>The loss the metadata names, else cross-entropy (a Sequential ending in a Linear gives logits).</summary>
    /// <exception cref="ModelFormatException">a <c>loss</c> Digits does not know.</exception>
    private static LossKind LossOf(string path, IReadOnlyDictionary<string, string> metadata) =>
        !metadata.TryGetValue("loss", out var lossText) ? LossKind.CrossEntropy
        : ActivationNames.TryParseLoss(lossText, out var kind) ? kind
        : throw new ModelFormatException(path, $"metadata loss '{lossText}' is not a loss Digits knows");
}
