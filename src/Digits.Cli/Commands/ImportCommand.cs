using System.Text.Json;
using Digits.Api.Onnx;
using Digits.Cli.Verbs;
using Digits.Core.Backends;
using Digits.Core.Data;
using Digits.Core.Model;

namespace Digits.Cli.Commands;

/// <summary><c>digits import</c>: a PyTorch nn.Sequential safetensors file as a Digits model.</summary>
internal sealed class ImportCommand(ImportVerb verb, TextWriter stdout)
{
    public int Run()
    {
        Activation? activation = null;
        if (verb.Activation is { } a)
        {
            if (!ActivationNames.TryParseActivation(a, out var parsed) || parsed == Activation.Identity)
                throw new UsageException($"--activation: '{a}' is not relu, sigmoid or tanh");
            activation = parsed;
        }
        LossKind? loss = null;
        if (verb.Loss is { } l)
        {
            if (!ActivationNames.TryParseLoss(l, out var parsed))
                throw new UsageException($"--loss: '{l}' is not cross-entropy or mse");
            loss = parsed;
        }
        DatasetInfo? dataset = null;
        if (verb.Dataset is { } d && (dataset = DatasetCatalog.Find(d)) is null)
            throw new UsageException($"--dataset: '{d}' is not mnist, fashion-mnist or kmnist");
        MlpModel model;
        try
        {
            var (tensors, metadata) = SafeTensors.Read(verb.Input, "a model");
            if (metadata.GetValueOrDefault("format") is { } f && f != TorchSequential.Format)
                throw new UsageException($"--input {verb.Input}: its format is '{f}', not a PyTorch nn.Sequential file" +
                                         (f == ModelFile.Format ? " (it is a Digits model already: use it as it is)" : ""));
            model = TorchSequential.FromTensors(verb.Input, tensors, metadata, activation, loss);
        }
        catch (FileNotFoundException)
        {
            throw new UsageException($"--input: {verb.Input} not found");
        }
        catch (UnauthorizedAccessException)
        {
            throw new UsageException($"--input: cannot read {verb.Input} (permission denied)");
        }
        catch (Exception e) when (e is ModelFormatException or IOException)
        {
            throw new UsageException($"--input: {e.Message}");
        }
        var info = dataset ?? DatasetCatalog.Find(model.Metadata.GetValueOrDefault("dataset") ?? "") ?? DatasetCatalog.Mnist;
        model.Metadata["dataset"] = info.Name;
        if (model.Spec.Outputs == info.ClassNames.Count) model.Metadata["class_names"] = JsonSerializer.Serialize(info.ClassNames);
        else model.Metadata.Remove("class_names");
        if (model.Spec.Inputs == 784) model.Metadata["input_shape"] = "28,28";
        model.Metadata.TryAdd("normalization", OnnxExport.Normalization);
        model.Metadata["imported_from"] = Path.GetFileName(verb.Input);
        OutputCheck.Require(verb.Output, "import");
        try
        {
            ModelFile.Save(verb.Output, model);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeFailureException($"could not write {verb.Output}: {OutputFile.Reason(e)}");
        }
        stdout.WriteLine(TerminalText.Escape($"wrote {verb.Output}: {model.Spec} from " +
                                             $"nn.Sequential({TorchSequential.Modules(model.Spec)}), classes of {info.Name}"));
        return ExitCodes.Success;
    }
}
