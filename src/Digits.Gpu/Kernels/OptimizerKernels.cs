// OptimizerKernels: one optimizer step over a flat parameter buffer (every layer's weights, then every bias), with
// L2 weight decay on the first decayCount elements (the weights): g = grad + λ·p there, g = grad after.
//
//   SgdStep       p −= lr·g
//   MomentumStep  v = μ·v + g; p −= lr·v                                  (PyTorch's heavy-ball form)
//   AdamStep      m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²; p −= lr·(m·c₁)/(√(v·c₂) + ε)   (Kingma & Ba 2015, Alg. 1)
//   AdvanceStep   counter[2] = counter[1] if it is still −1 and lossSum[0] is not finite; then counter[0] += 1,
//                 counter[1] += 1 (one thread).
//
// lr, c₁ = 1/(1−β₁ᵗ) and c₂ = 1/(1−β₂ᵗ) are read on the device from schedule row counter[0] (schedule (S,3):
// lr, c₁, c₂ per mini-batch of the epoch, see StepSchedule); a row outside [0, S) changes nothing.
// gradients, velocity / m / v, parameters (count). Each element is evaluated in the reference's order of float
// operations. Launch: implicitly grouped, one thread per element.
// CPU twins: ReferenceBackend.SgdStepCore / MomentumStepCore / AdamStepCore and HostBackend.AdvanceStepCore; host
// side: IlgpuBackend's → Launch….
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Digits.Gpu.Kernels;

/// <summary>An optimizer step's scalars that do not change from step to step.</summary>
public struct OptimizerShape
{
    public int DecayCount, ScheduleRows;
    public float WeightDecay, Momentum, Beta1, Beta2, Epsilon;
}

[KernelBudget(nameof(SgdStep), registers: 24, sharedBytes: 0)]
[KernelBudget(nameof(MomentumStep), registers: 24, sharedBytes: 0)]
[KernelBudget(nameof(AdamStep), registers: 32, sharedBytes: 0)]
[KernelBudget(nameof(AdvanceStep), registers: 16, sharedBytes: 0)]
internal static class OptimizerKernels
{
    /// <summary>The schedule row of this step (counter[0]), or −1 outside the schedule.</summary>
    private static int Row(ArrayView<int> counter, int rows)
    {
        int r = counter[0];
        return r >= 0 && r < rows ? r : -1;
    }

    [Kernel(grouped: false)]
    internal static void SgdStep(Index1D k, ArrayView<float> gradients, OptimizerShape o, ArrayView<float> schedule,
        ArrayView<int> counter, ArrayView<float> parameters)
    {
        int r = Row(counter, o.ScheduleRows);
        if (r < 0) return;
        float p = parameters[k], g = gradients[k] + (k < o.DecayCount ? o.WeightDecay * p : 0f);
        parameters[k] = p - schedule[3 * r] * g;
    }

    [Kernel(grouped: false)]
    internal static void MomentumStep(Index1D k, ArrayView<float> gradients, OptimizerShape o,
        ArrayView<float> schedule, ArrayView<int> counter, ArrayView<float> velocity, ArrayView<float> parameters)
    {
        int r = Row(counter, o.ScheduleRows);
        if (r < 0) return;
        float p = parameters[k], g = gradients[k] + (k < o.DecayCount ? o.WeightDecay * p : 0f);
        float v = o.Momentum * velocity[k] + g;
        velocity[k] = v;
        parameters[k] = p - schedule[3 * r] * v;
    }

    [Kernel(grouped: false)]
    internal static void AdamStep(Index1D k, ArrayView<float> gradients, OptimizerShape o, ArrayView<float> schedule,
        ArrayView<int> counter, ArrayView<float> m, ArrayView<float> v, ArrayView<float> parameters)
    {
        int r = Row(counter, o.ScheduleRows);
        if (r < 0) return;
        float p = parameters[k], g = gradients[k] + (k < o.DecayCount ? o.WeightDecay * p : 0f);
        float mk = o.Beta1 * m[k] + (1f - o.Beta1) * g;
        float vk = o.Beta2 * v[k] + (1f - o.Beta2) * g * g;
        m[k] = mk;
        v[k] = vk;
        parameters[k] = p - schedule[3 * r] * (mk * schedule[3 * r + 1]) /
            (XMath.Sqrt(vk * schedule[3 * r + 2]) + o.Epsilon);
    }

    [Kernel(grouped: false)]
    internal static void AdvanceStep(Index1D k, ArrayView<int> counter, ArrayView<float> lossSum)
    {
        float loss = lossSum[0];
        if (counter[2] < 0 && (XMath.IsNaN(loss) || XMath.IsInfinity(loss))) counter[2] = counter[1];
        counter[0] += 1;
        counter[1] += 1;
    }

    internal static void Load(KernelSet k)
    {
        var a = k.Accelerator;
        k.SgdStep = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, OptimizerShape, ArrayView<float>, ArrayView<int>,
            ArrayView<float>>(SgdStep);
        k.MomentumStep = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, OptimizerShape, ArrayView<float>,
            ArrayView<int>, ArrayView<float>, ArrayView<float>>(MomentumStep);
        k.AdamStep = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, OptimizerShape, ArrayView<float>,
            ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(AdamStep);
        k.AdvanceStep = a.LoadAutoGroupedKernel<Index1D, ArrayView<int>, ArrayView<float>>(AdvanceStep);
    }

    internal static OptimizerShape Shape(int decayCount, ArrayView<float> schedule, float weightDecay,
        float momentum = 0f, float beta1 = 0f, float beta2 = 0f, float epsilon = 0f) =>
        new()
        {
            DecayCount = decayCount, ScheduleRows = (int)(schedule.Length / 3), WeightDecay = weightDecay,
            Momentum = momentum, Beta1 = beta1, Beta2 = beta2, Epsilon = epsilon,
        };

    internal static void LaunchSgdStep(KernelSet k, AcceleratorStream s, ArrayView<float> gradients, int count,
        OptimizerShape o, ArrayView<float> schedule, ArrayView<int> counter, ArrayView<float> parameters) =>
        k.SgdStep(s, KernelSet.Threads(count), gradients, o, schedule, counter, parameters);

    internal static void LaunchMomentumStep(KernelSet k, AcceleratorStream s, ArrayView<float> gradients, int count,
        OptimizerShape o, ArrayView<float> schedule, ArrayView<int> counter, ArrayView<float> velocity,
        ArrayView<float> parameters) =>
        k.MomentumStep(s, KernelSet.Threads(count), gradients, o, schedule, counter, velocity, parameters);

    internal static void LaunchAdamStep(KernelSet k, AcceleratorStream s, ArrayView<float> gradients, int count,
        OptimizerShape o, ArrayView<float> schedule, ArrayView<int> counter, ArrayView<float> m, ArrayView<float> v,
        ArrayView<float> parameters) =>
        k.AdamStep(s, KernelSet.Threads(count), gradients, o, schedule, counter, m, v, parameters);

    internal static void LaunchAdvanceStep(KernelSet k, AcceleratorStream s, ArrayView<int> counter,
        ArrayView<float> lossSum) =>
        k.AdvanceStep(s, KernelSet.Threads(1), counter, lossSum);
}
