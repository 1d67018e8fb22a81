namespace Digits.Tests.Kernels;

/// <summary>Every kernel test against the ILGPU backend on ILGPU's CPU accelerator: the very C# kernels CUDA runs,
/// compiled for the CPU (one OS thread per GPU thread). Required when CI=true.</summary>
public sealed class IlgpuCpuKernelTests : KernelTests
{
    protected override string Device => "ilgpu-cpu";
}
