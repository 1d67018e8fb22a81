using CommandLine;

namespace Digits.Cli.Verbs;

[Verb("bench", HelpText = "Time training epochs per device for named configurations (images/s, GFLOP/s, launches per step, memory), or time to a target accuracy.")]
internal sealed class BenchVerb
{
    [Option("devices", HelpText = "Comma-separated devices, e.g. cpu,cuda (default: cpu and every GPU ILGPU can use).")]
    [Topic("Device", "every device that works")]
    public string? Devices { get; set; }

    [Option("threads", HelpText = "CPU threads for the cpu device (0 = every core).")]
    [Topic("Device", "0", Expected = "a whole number ≥ 0")]
    public int? Threads { get; set; }

    [Option("config", HelpText = "Comma-separated configurations: small (784-128-10 ReLU, Adam, batch 128), large (784-1024-1024-10, batch 256), nielsen (784-30-10 sigmoid, quadratic cost, SGD, batch 10).")]
    [Topic("Training", "small,large,nielsen")]
    public string? Config { get; set; }

    [Option("epochs", HelpText = "Timed epochs per device and configuration.")]
    [Topic("Training", "3")]
    public int? Epochs { get; set; }

    [Option("warmup", HelpText = "Untimed epochs first (JIT, kernel compilation, caches).")]
    [Topic("Training", "1")]
    public int? Warmup { get; set; }

    [Option("target-accuracy", HelpText = "Instead: train the speedrun preset until MNIST test accuracy reaches this many percent, checking after every epoch; report the training time to get there (evaluation shown apart).")]
    [Topic("Training", Expected = "a percentage above 0 and below 100, e.g. 98")]
    public double? TargetAccuracy { get; set; }

    [Option("data", MetaValue = "DIR", HelpText = "Folder holding MNIST. Else $DIGITS_DATA, else ~/.cache/digits.")]
    [Topic("Data", "$DIGITS_DATA or ~/.cache/digits")]
    public string? Data { get; set; }

    [Option("profile", HelpText = "Also time every op of the timed epochs, per op and shape: a table per configuration and device of calls, milliseconds and share of the epoch, and GFLOP/s for the GEMMs (where an epoch's time goes). On a GPU each op is then synchronized and CUDA graphs are off, so profiled epochs are slower than plain ones.")]
    [Topic("Output", "off")]
    public bool Profile { get; set; }

    [Option("gemm", HelpText = "Instead: the GEMM yardstick. Our three GEMM kernels (16-byte loads on and off) against cuBLAS SGEMM on the same stream, at the large configuration's shapes and S³, after checking every variant against a CPU result; on --devices (default cuda; ilgpu-cpu or opencl:N time ours alone at S³, to prove the path).")]
    [Topic("GEMM yardstick", "off")]
    public bool Gemm { get; set; }

    [Option("square", HelpText = "With --gemm: the size S of the S×S×S products.")]
    [Topic("GEMM yardstick", "4096 on CUDA, 64 elsewhere", Expected = "a whole number from 1 to 16384")]
    public int? Square { get; set; }

    [Option("json", HelpText = "One JSON object per device and configuration, each written as soon as it is measured.")]
    [Topic("Output", "off")]
    public bool Json { get; set; }
}
