namespace Digits.Tests.Kernels;

/// <summary>Every kernel test against ILGPU's OpenCL accelerator on the first OpenCL device ILGPU can use (one with the
/// generic address space); skips with the reason where there is none (PoCL and NVIDIA's OpenCL lack it).</summary>
public sealed class OpenClKernelTests : KernelTests
{
    protected override string Device => "opencl";
}
