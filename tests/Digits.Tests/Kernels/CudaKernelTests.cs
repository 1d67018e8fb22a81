using Digits.Tests.Support;

namespace Digits.Tests.Kernels;

/// <summary>Every kernel test against ILGPU's CUDA accelerator; skips with the reason where there is no CUDA device.
/// Where a kernel's PTX holds approximate instructions (exp as ex2.approx.f32, log as lg2.approx.f32, listed per
/// kernel in its <c>KernelBudget</c> and checked on the PTX), the tolerance is widened by their bound
/// (<c>CudaApproximations</c>), so no test here is tighter than those instructions may err.</summary>
public sealed class CudaKernelTests : KernelTests
{
    protected override string Device => "cuda";

    protected override Tolerance WithApproximations(Tolerance tolerance, double relative, double absolute = 0) =>
        new(tolerance.Atol + absolute, tolerance.Rtol + relative);
}
