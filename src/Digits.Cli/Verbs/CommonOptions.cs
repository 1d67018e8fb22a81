using CommandLine;

namespace Digits.Cli.Verbs;

/// <summary>Flags shared by the verbs that run a model on a device.</summary>
internal abstract class DeviceOptions
{
    [Option("device", MetaValue = "DEVICE", HelpText = "Where kernels run: auto, cpu, cuda[:N], opencl[:N], ilgpu-cpu (the GPU kernels on ILGPU's CPU accelerator; slow, for checking) or reference. auto picks CUDA, then an OpenCL GPU ILGPU can use, then the CPU, and says why; `digits devices` lists them.")]
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

/// <summary>
/// The bounds of <c>--threads</c>, checked for every verb that takes it before any work starts: a worker thread
/// per requested thread is created, so tens of thousands of them (or <c>int.MaxValue</c>) crashed the runtime after
/// a long wait instead of being refused.
/// </summary>
internal static class ThreadsOption
{
    /// <summary>Threads beyond the logical processors only take turns; this many per processor is already plenty.</summary>
    public const int PerProcessor = 4;

    /// <summary>The most <c>--threads</c> accepted on this machine.</summary>
    public static int Max => PerProcessor * Environment.ProcessorCount;

    /// <summary>The <c>--threads</c> value of a parsed verb, if it has the flag.</summary>
    public static int? Of(object verb) => verb switch
    {
        DeviceOptions d => d.Threads,
        PredictVerb p => p.Threads,
        BenchVerb b => b.Threads,
        ServeVerb s => s.Threads,
        _ => null,
    };

    /// <exception cref="UsageException">below 0, or above <see cref="Max"/>.</exception>
    public static void Check(int? threads)
    {
        if (threads is < 0) throw new UsageException($"--threads must be ≥ 0, got {threads}");
        if (threads > Max)
            throw new UsageException($"--threads {threads} is more than {Max} ({PerProcessor} per logical processor, " +
                                     $"{Environment.ProcessorCount} here); use 0 for one per processor");
    }
}
