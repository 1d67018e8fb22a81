// ActivationKernels: activation backward from the activation's output, dz[k] = dy[k]·act′(y[k]), with act′
// written in terms of y (relu: y > 0; sigmoid: y(1−y); tanh: 1−y²). Also the activations themselves, which the
// GEMM epilogue applies (LinearKernels): Activate(act, z) picks one at run time, per element (LinearSplitSum); the
// structs below (IActivation) are the same functions as types, so that GemmEpilogue can take the switch once per
// thread and compile a store specialised to each activation instead of the switch for every output.
// tanh is computed from exp, not with XMath.Tanh: on PTX that is tanh.approx.f32, whose relative error is up to 2⁻¹¹
// (PTX ISA, "tanh"), where this form stays within a few units of the last place (see Tanh and CudaApproximations).
// Shapes: y, dy, dz (count); dz may be dy itself (each element is read before it is written, by one thread).
// Launch: implicitly grouped, one thread per element.
// CPU twin: ReferenceBackend.ActivationBackwardCore; host side: IlgpuBackend.ActivationBackwardCore →
// LaunchActivationBackward.
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Digits.Gpu.Kernels;

[KernelBudget(nameof(ActivationBackward), registers: 16, sharedBytes: 0)]
internal static class ActivationKernels
{
    // The values of Digits.Core.Backends.Activation.
    internal const int Identity = 0, Relu = 1, Sigmoid = 2, Tanh = 3;

    /// <summary>y = act(z): identity, max(0, z), 1/(1+e^−z), tanh z.</summary>
    internal static float Activate(int act, float z) => act switch
    {
        Relu => default(ReluActivation).Apply(z),
        Sigmoid => default(SigmoidActivation).Apply(z),
        Tanh => default(TanhActivation).Apply(z),
        _ => default(IdentityActivation).Apply(z),
    };

    /// <summary>tanh z = sign(z)·(1 − 2/(e^{2|z|} + 1)) for |z| ≥ 0.3, where the subtraction loses at most a factor
    /// 1/tanh 0.3 ≈ 3.4 of relative accuracy; below, the Taylor series z − z³/3 + 2z⁵/15 − 17z⁷/315 + 62z⁹/2835, whose
    /// next term is under 5.4e-8 of tanh z there. z = ±0 keeps its sign, NaN stays NaN (the comparison fails, exp of NaN is NaN); e^{2|z|}
    /// overflowing to ∞ gives 1. On PTX the exp is ex2.approx.f32: CudaApproximations.TanhExtra bounds what that
    /// adds (7.5 u at most, u = 2⁻²⁴).</summary>
    internal static float TanhFromExp(float z)
    {
        float a = XMath.Abs(z);
        if (a < 0.3f)
        {
            float s = z * z;
            return z * (1f + s * (-1f / 3f + s * (2f / 15f + s * (-17f / 315f + s * (62f / 2835f)))));
        }
        float t = 1f - 2f / (XMath.Exp(2f * a) + 1f);
        return z < 0f ? -t : t;
    }

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

/// <summary>An activation y = act(z) as a type: a kernel compiled with one (<c>GemmEpilogue</c>'s stores) holds only
/// its code, inlined, with no run-time switch.</summary>
internal interface IActivation
{
    float Apply(float z);
}

/// <summary>y = z.</summary>
internal readonly struct IdentityActivation : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Apply(float z) => z;
}

/// <summary>y = max(0, z).</summary>
internal readonly struct ReluActivation : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Apply(float z) => z > 0f ? z : 0f;
}

/// <summary>y = 1/(1 + e^−z); on PTX the exp is ex2.approx.f32 (CudaApproximations.SigmoidExtra bounds what that
/// adds).</summary>
internal readonly struct SigmoidActivation : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Apply(float z) => 1f / (1f + XMath.Exp(-z));
}

/// <summary>y = tanh z, from exp (<see cref="ActivationKernels.TanhFromExp"/>).</summary>
internal readonly struct TanhActivation : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Apply(float z) => ActivationKernels.TanhFromExp(z);
}
