using System.Text.Json;
using Digits.Cli.Verbs;

namespace Digits.Cli.Commands;

/// <summary><c>digits devices</c>: every backend of <see cref="BackendCatalog"/> with what it found, or why it is
/// unavailable (what ILGPU needs and what the machine has; for CUDA what the driver itself answers), and which one
/// <c>--device auto</c> takes. A CUDA device shows its name, compute capability, SMs and clock, memory, driver, the
/// PTX ISA and .target ILGPU emits for it, and its FP32 peak with how it was computed.</summary>
internal sealed class DevicesCommand(DevicesVerb verb, TextWriter stdout)
{
    public int Run()
    {
        var devices = BackendCatalog.List();
        var (auto, why) = DeviceSelector.Choose(devices);
        if (verb.Json)
        {
            stdout.WriteLine(JsonSerializer.Serialize(new
            {
                devices = devices.Select(d => new
                {
                    name = d.Name, kind = d.Kind, available = d.Available, hardware = d.Hardware,
                    reason = d.Available ? null : d.Reason, peak_gflops = d.PeakGflops, peak_method = d.PeakSource,
                }),
                auto,
            }));
            return ExitCodes.Success;
        }
        foreach (var d in devices)
        {
            // The CPU's peak is measured (FmaPeak), a GPU's computed (CudaPeak); each says how.
            string peak = d.PeakGflops is not { } p ? ""
                : $"; {(d.Kind == "cpu" ? "" : "~")}{p:0} GFLOP/s FP32 FMA peak ({d.PeakSource})";
            stdout.WriteLine(d.Available ? $"  {d.Name,-10} {d.Hardware}{peak}" : $"  {d.Name,-10} unavailable: {d.Reason}");
        }
        stdout.WriteLine($"--device auto takes {auto} ({why})");
        return ExitCodes.Success;
    }
}
