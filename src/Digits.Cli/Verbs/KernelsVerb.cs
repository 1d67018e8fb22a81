using CommandLine;

namespace Digits.Cli.Verbs;

[Verb("kernels", HelpText = "Every GPU kernel's registers, shared memory, spills and occupancy on an H100 (or A100): NVIDIA's ptxas run on ILGPU's PTX, no GPU needed; with --device cuda the driver's JIT on the GPU instead. Saves each kernel's PTX and machine code when asked. --plans: each preset GEMM's launch plan.")]
internal sealed class KernelsVerb
{
    [Option("arch", MetaValue = "sm_XY", HelpText = "Architecture to compile and assemble for: sm_90 (H100, H200) or sm_80 (A100).")]
    [Topic("Target", "sm_90")]
    public string? Arch { get; set; }

    [Option("device", MetaValue = "DEVICE", HelpText = "Instead of ptxas: a CUDA device (cuda or cuda:N) whose driver JIT-compiles the PTX ILGPU emits for it (its own architecture and PTX ISA).")]
    [Topic("Target", "none: ptxas, no GPU")]
    public string? Device { get; set; }

    [Option("ptx", MetaValue = "DIR", HelpText = "Write each kernel's PTX to DIR/KERNEL.ptx (with --device also the driver's JIT log, DIR/KERNEL.jit.txt). Works without ptxas.")]
    [Topic("Output", "off")]
    public string? Ptx { get; set; }

    [Option("sass", MetaValue = "DIR", HelpText = "Write each kernel's machine code as cuobjdump -sass prints it to DIR/KERNEL.sm_XY.sass (needs ptxas and cuobjdump).")]
    [Topic("Output", "off")]
    public string? Sass { get; set; }

    [Option("plans", HelpText = "Instead of the kernel table: each preset GEMM's plan (tile, split-K, blocks, waves, ptxas registers and shared memory, occupancy, main-loop FFMA share) and the H100 model's expected time.")]
    [Topic("Plans", "off")]
    public bool Plans { get; set; }

    [Option("sm", HelpText = "With --plans: plan for this many SMs (an H100 has 132) instead of the CUDA device's count; needed without a CUDA device.")]
    [Topic("Plans", "the CUDA device's SMs", Expected = "a whole number ≥ 1")]
    public int? Sm { get; set; }
}
