using CommandLine;

namespace Digits.Cli.Verbs;

[Verb("export", HelpText = "Write a model as ONNX (for ONNX Runtime, ML.NET, browsers, phones) or in PyTorch's layout.")]
internal sealed class ExportVerb
{
    /// <summary>Said under the flags in <c>digits export --help</c>.</summary>
    public const string Notes =
        "onnx: IR version 8, opset 17; input 'image' (batch, 784) float32, pixel / 255 in [0, 1] (the normalization is " +
        "stated in the model's metadata, not done in the graph); outputs 'logits' and 'probabilities' (softmax), each " +
        "(batch, classes); class_names and the training metadata as model properties.\n" +
        "torch-safetensors: tensors '0.weight' (out, in), '0.bias', '2.weight', … as torch.nn.Sequential(Linear, " +
        "activation, Linear, …) names them; load with safetensors.torch.load_file (see the README).";

    [Option("model", Required = true, MetaValue = "FILE", HelpText = "The model file written by digits train (or digits import).")]
    [Topic("Model")]
    public string Model { get; set; } = "";

    [Option("format", Required = true, MetaValue = "FORMAT", HelpText = "onnx or torch-safetensors.")]
    [Topic("Output")]
    public string Format { get; set; } = "";

    [Option("output", Required = true, MetaValue = "FILE", HelpText = "Where to write it. Written to a temporary file and renamed; only a regular file is written or replaced.")]
    [Topic("Output")]
    public string Output { get; set; } = "";
}

[Verb("import", HelpText = "Turn a PyTorch nn.Sequential of nn.Linear layers saved as safetensors into a Digits model.")]
internal sealed class ImportVerb
{
    [Option("input", Required = true, MetaValue = "FILE", HelpText = "The PyTorch file: tensors '0.weight' (out, in), '0.bias', '2.weight', … in F32, F16 or BF16 (widened to F32).")]
    [Topic("Model")]
    public string Input { get; set; } = "";

    [Option("activation", HelpText = "The activation module between the Linear layers: relu, sigmoid or tanh.")]
    [Topic("Model", "the file's 'activation' metadata")]
    public string? Activation { get; set; }

    [Option("loss", HelpText = "cross-entropy (the last Linear gives logits) or mse (a Sigmoid after the last Linear).")]
    [Topic("Model", "the file's 'loss' metadata, else cross-entropy")]
    public string? Loss { get; set; }

    [Option("dataset", HelpText = "The dataset the model classifies (its class names, and what evaluate uses): mnist, fashion-mnist or kmnist.")]
    [Topic("Data", "the file's 'dataset' metadata, else mnist")]
    public string? Dataset { get; set; }

    [Option("output", Required = true, MetaValue = "FILE", HelpText = "Where to write the Digits model (safetensors), atomically.")]
    [Topic("Output")]
    public string Output { get; set; } = "";
}
