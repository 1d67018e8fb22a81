// ActivationKernels: activation backward from the activation's output, dz[k] = dy[k]·act′(y[k]), with act′
// written in terms of y (relu: y > 0; sigmoid: y(1−y); tanh: 1−y²). Also the activations themselves, which the
// GEMM epilogue applies (LinearKernels).
// Shapes: y, dy, dz (count); dz may be dy itself (each element is read before it is written, by one thread).
// Launch: implicitly grouped, one thread per element.
// CPU twin: ReferenceBackend.ActivationBackwardCore; host side: IlgpuBackend.ActivationBackwardCore →
// LaunchActivationBackward.
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Digits.Gpu.Kernels;

internal static class ActivationKernels
{
    // The values of Digits.Core.Backends.Activation.
    internal const int Identity = 0, Relu = 1, Sigmoid = 2, Tanh = 3;

    /// <summary>y = act(z): identity, max(0, z), 1/(1+e^−z), tanh z.</summary>
    internal static float Activate(int act, float z) => act switch
    {
        Relu => z > 0f ? z : 0f,
        Sigmoid => 1f / (1f + XMath.Exp(-z)),
        Tanh => XMath.Tanh(z),
        _ => z,
    };

    /// <summary>act′ in terms of the output y.</summary>
    internal static float Derivative(int act, float y) => act switch
    {
        Relu => y > 0f ? 1f : 0f,
        Sigmoid => y * (1f - y),
        Tanh => 1f - y * y,
        _ => 1f,
    };

    [Kernel(grouped: false)]
    internal static void ActivationBackward(Index1D k, ArrayView<float> y, ArrayView<float> dy, int act,
        ArrayView<float> dz) =>
        dz[k] = dy[k] * Derivative(act, y[k]);

    internal static void Load(KernelSet k) =>
        k.ActivationBackward = k.Accelerator
            .LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int, ArrayView<float>>(ActivationBackward);

    internal static void LaunchActivationBackward(KernelSet k, AcceleratorStream s, ArrayView<float> y,
        ArrayView<float> dy, int act, int count, ArrayView<float> dz) =>
        k.ActivationBackward(s, KernelSet.Threads(count), y, dy, act, dz);
}
