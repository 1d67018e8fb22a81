using CommandLine;

namespace Digits.Cli.Verbs;

[Verb("check", HelpText = "Run every kernel on a device against the CPU reference on random data, one line per kernel.")]
internal sealed class CheckVerb
{
    [Option("device", MetaValue = "DEVICE", HelpText = "Device to check: cpu, cuda[:N], opencl[:N], ilgpu-cpu (smaller sizes: it runs one OS thread per GPU thread) or auto.")]
    [Topic("Device", "auto")]
    public string? Device { get; set; }

    [Option("seed", HelpText = "Seed of the random data.")]
    [Topic("Device", "1")]
    public int? Seed { get; set; }
}
