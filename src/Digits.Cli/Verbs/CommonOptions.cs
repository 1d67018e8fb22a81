using CommandLine;

namespace Digits.Cli.Verbs;

/// <summary>Flags shared by the verbs that run a model on a device.</summary>
internal abstract class DeviceOptions
{
    [Option("device", MetaValue = "DEVICE", HelpText = "Where kernels run: auto, cpu, opencl[:N], cuda[:N]. auto picks CUDA, then an OpenCL GPU, then the CPU, and says why.")]
    [Topic("Device", "auto")]
    public string? Device { get; set; }

    [Option("threads", HelpText = "CPU threads for --device cpu (0 = every core).")]
    [Topic("Device", "0", Expected = "a whole number ≥ 0")]
    public int? Threads { get; set; }

    [Option("json", HelpText = "Print JSON lines instead of tables, for scripts.")]
    [Topic("Output", "off")]
    public bool Json { get; set; }

    [Option("quiet", HelpText = "Print only the final result.")]
    [Topic("Output", "off")]
    public bool Quiet { get; set; }
}

/// <summary>Flags that choose and find a dataset.</summary>
internal interface IDataOptions
{
    string? Dataset { get; }
    string? Data { get; }
    bool NoDownload { get; }
}
