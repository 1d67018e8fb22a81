namespace Digits.Tests.Kernels;

/// <summary>Every op of the CPU backend against the reference (the shared <see cref="KernelTests"/>), with the
/// micro-kernels the CPU prefers (512-bit on this project's machines).</summary>
public sealed class CpuKernelTests : KernelTests
{
    protected override string Device => "cpu";
}

/// <summary>The same with the 256-bit (AVX2) micro-kernels forced, so the fallback that CPUs without
/// AVX-512 run is tested on CPUs that have it.</summary>
public sealed class CpuAvx2KernelTests : KernelTests
{
    protected override string Device => "cpu-avx2";
}
