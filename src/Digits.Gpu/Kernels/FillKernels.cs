// FillKernels: sets count 32-bit elements to one bit pattern (a float's bits or an int), so one kernel serves
// IBackend.Fill(float) and Fill(int).
// Shapes: p (count). Launch: implicitly grouped, one thread per element.
// CPU twin: HostBackend.FillCore (both overloads); host side: IlgpuBackend.FillCore → LaunchFill.
using ILGPU;
using ILGPU.Runtime;

namespace Digits.Gpu.Kernels;

[KernelBudget(nameof(Fill), registers: 16, sharedBytes: 0)]
internal static class FillKernels
{
    [Kernel(grouped: false)]
    internal static void Fill(Index1D k, ArrayView<int> p, int bits) => p[k] = bits;

    internal static void Load(KernelSet k) =>
        k.Fill = k.Accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<int>, int>(Fill);

    internal static void LaunchFill(KernelSet k, AcceleratorStream s, ArrayView<int> p, int bits) =>
        k.Fill(s, KernelSet.Threads(p.Length), p, bits);
}
