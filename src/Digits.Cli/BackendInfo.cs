namespace Digits.Cli;

/// <summary>One backend Digits can run on, or one it cannot and why. <see cref="Name"/> is how <c>--device</c>
/// spells it; <see cref="PeakGflops"/> is its FP32 FMA peak where known (the CPU's measured, a CUDA GPU's from its
/// SMs and clock).</summary>
internal sealed record BackendInfo(string Name, string Kind, string Hardware, bool Available, string Reason,
    bool IsGpu, double? PeakGflops, string? PeakSource = null);
