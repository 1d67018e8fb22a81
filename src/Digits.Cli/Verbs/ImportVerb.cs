using CommandLine;

namespace Digits.Cli.Verbs;

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
