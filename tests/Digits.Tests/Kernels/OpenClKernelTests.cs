namespace Digits.Tests.Kernels;

/// <summary>Every kernel test against the OpenCL backend (PoCL in CI, where it must not skip).</summary>
public sealed class OpenClKernelTests : KernelTests
{
    protected override string Device => "opencl";
}
