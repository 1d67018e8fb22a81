using CommandLine;

namespace Digits.Cli.Verbs;

[Verb("kernels", HelpText = "What NVIDIA's ptxas makes of the GPU kernels (registers, shared memory, main loops), and --plans: each preset GEMM's launch plan.")]
internal sealed class KernelsVerb
{
    [Option("plans", HelpText = "Print each preset GEMM's plan (tile, split-K, blocks, waves, ptxas registers and shared memory, occupancy, main-loop FFMA share) and the H100 model's expected time.")]
    [Topic("Report", "off")]
    public bool Plans { get; set; }

    [Option("sm", HelpText = "Plan for this many SMs (an H100 has 132) instead of the CUDA device's count; needed without a CUDA device.")]
    [Topic("Report", "the CUDA device's SMs", Expected = "a whole number ≥ 1")]
    public int? Sm { get; set; }

    [Option("arch", MetaValue = "SM_XY", HelpText = "Architecture ptxas assembles for: sm_80 or sm_90.")]
    [Topic("Report", "sm_90")]
    public string? Arch { get; set; }
}
