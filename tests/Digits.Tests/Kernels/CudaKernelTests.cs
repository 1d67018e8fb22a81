namespace Digits.Tests.Kernels;

/// <summary>Every kernel test against ILGPU's CUDA accelerator; skips with the reason where there is no CUDA device.</summary>
public sealed class CudaKernelTests : KernelTests
{
    protected override string Device => "cuda";
}
