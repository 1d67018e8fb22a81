using System.Text.Json;
using Digits.Cli.Verbs;
using Digits.Cpu;

namespace Digits.Cli.Commands;

/// <summary><c>digits devices</c>: every backend of <see cref="BackendCatalog"/> with what it found, or why it is
/// unavailable (what ILGPU needs and what the machine has), and which one <c>--device auto</c> takes.</summary>
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
                    reason = d.Available ? null : d.Reason, peak_gflops = d.PeakGflops,
                    peak_method = d.Kind == "cpu" ? FmaPeak.Measured.Method : null,
                }),
                auto,
            }));
            return ExitCodes.Success;
        }
        foreach (var d in devices)
        {
            // The CPU's peak is measured (FmaPeak), and says how; a GPU's is computed from its SMs and clock.
            string peak = d.PeakGflops is not { } p ? ""
                : d.Kind == "cpu" ? $"; {p:0} GFLOP/s FP32 FMA peak ({FmaPeak.Measured.Method})"
                : $"; ~{p:0} GFLOP/s FP32 FMA peak";
            stdout.WriteLine(d.Available ? $"  {d.Name,-10} {d.Hardware}{peak}" : $"  {d.Name,-10} unavailable: {d.Reason}");
        }
        stdout.WriteLine($"--device auto takes {auto} ({why})");
        return ExitCodes.Success;
    }
}
