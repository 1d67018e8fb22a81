using Digits.Api.Onnx;
using Digits.Cli.Verbs;
using Digits.Core.Model;

namespace Digits.Cli.Commands;

/// <summary><c>digits export</c>: a model as ONNX (<see cref="OnnxExport"/>) or in PyTorch's nn.Sequential layout
/// (<see cref="TorchSequential"/>), written atomically.</summary>
internal sealed class ExportCommand(ExportVerb verb, TextWriter stdout)
{
    public int Run()
    {
        string format = verb.Format.Trim().ToLowerInvariant();
        if (format is not ("onnx" or "torch-safetensors"))
            throw new UsageException($"--format: '{verb.Format}' is not a format; use onnx or torch-safetensors");
        var model = SavedModel.Load(verb.Model);
        OutputCheck.Require(verb.Output, "export");
        try
        {
            if (format == "onnx") OnnxExport.Write(model, verb.Output);
            else TorchSequential.Save(verb.Output, model);
        }
        catch (NotSupportedException e)
        {
            throw new UsageException($"--model {verb.Model}: cannot export as {format}: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeFailureException($"could not write {verb.Output}: {OutputFile.Reason(e)}");
        }
        stdout.WriteLine(TerminalText.Escape(format == "onnx"
            ? $"wrote {verb.Output}: ONNX IR {OnnxExport.IrVersion}, opset {OnnxExport.Opset}, {model.Spec}; input " +
              $"'{OnnxExport.InputName}' (batch, {model.Spec.Inputs}), outputs '{OnnxExport.ScoresName(model.Spec)}' and " +
              $"'{OnnxExport.ProbabilitiesName}' (batch, {model.Spec.Outputs})"
            : $"wrote {verb.Output}: nn.Sequential({TorchSequential.Modules(model.Spec)}) as safetensors"));
        return ExitCodes.Success;
    }

}
