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
