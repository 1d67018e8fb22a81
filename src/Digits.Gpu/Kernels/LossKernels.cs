// LossKernels: the two costs, forward and backward fused, each adding its batch's loss to a device scalar.
//
//   SoftmaxCrossEntropy  logits (B,C), labels (B) → dLogits (B,C) overwritten, lossSum (1) accumulated:
//       loss_b = log Σ_j exp(z_bj − m) + m − z_b,y_b with m = max_j z_bj (stable for any logits);
//       dLogits[b,j] = scale·(softmax(z_b)_j − [j = y_b]).
//   QuadraticCost        outputs a (B,C) = sigmoid activations, labels (B) → dPre (B,C), lossSum (1):
//       loss_b = ½ Σ_j (a_bj − t_bj)², t one-hot; dPre[b,j] = scale·(a_bj − t_bj)·a_bj(1 − a_bj).
//
// Launch: explicitly grouped, ONE group of 256 threads: thread t takes rows t, t+256, … in order (C is small: 10
// for digits, so even an evaluation chunk of thousands of rows is a few µs), then the 256 partial losses are summed
// by a fixed shared-memory tree and thread 0 adds the total to lossSum. No atomics: the same device gives the same
// loss run after run, and a step reads nothing back to the host. A label outside [0,C) reads no memory: its row has
// no target (no −1 in the gradient, no −z term in the loss).
// CPU twins: ReferenceBackend.SoftmaxCrossEntropyCore / QuadraticCostCore; host side: IlgpuBackend's → Launch….
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Digits.Gpu.Kernels;

[KernelBudget(nameof(SoftmaxCrossEntropy), registers: 32, sharedBytes: 4 * KernelSet.GroupSize,
    Threads = KernelSet.GroupSize, Approximations = "ex2.approx.f32, lg2.approx.f32")]
[KernelBudget(nameof(QuadraticCost), registers: 32, sharedBytes: 4 * KernelSet.GroupSize, Threads = KernelSet.GroupSize)]
internal static class LossKernels
{
    /// <summary>Sums partial[0..256) into partial[0] by a fixed tree (the caller's group, all threads).</summary>
    internal static void GroupSum(ArrayView<float> partial)
    {
        int t = Group.IdxX;
        for (int stride = KernelSet.GroupSize / 2; stride > 0; stride >>= 1)
        {
            Group.Barrier();
            if (t < stride) partial[t] += partial[t + stride];
        }
        Group.Barrier();
    }

    [Kernel(grouped: true)]
    internal static void SoftmaxCrossEntropy(ArrayView<float> logits, ArrayView<int> labels, int batch, int classes,
        float scale, ArrayView<float> dLogits, ArrayView<float> lossSum)
    {
        var partial = SharedMemory.Allocate<float>(KernelSet.GroupSize);
        int t = Group.IdxX;
        float loss = 0f;
        for (int b = t; b < batch; b += KernelSet.GroupSize)
        {
            int row = b * classes, label = labels[b];
            float m = logits[row];
            for (int j = 1; j < classes; j++) m = XMath.Max(m, logits[row + j]);
            float sum = 0f;
            for (int j = 0; j < classes; j++) sum += XMath.Exp(logits[row + j] - m);
            float lse = XMath.Log(sum) + m;
            loss += lse - (label >= 0 && label < classes ? logits[row + label] : 0f);
            for (int j = 0; j < classes; j++)
                dLogits[row + j] = scale * (XMath.Exp(logits[row + j] - lse) - (j == label ? 1f : 0f));
        }
        partial[t] = loss;
        GroupSum(partial);
        if (t == 0) lossSum[0] += partial[0];
    }

    [Kernel(grouped: true)]
    internal static void QuadraticCost(ArrayView<float> outputs, ArrayView<int> labels, int batch, int classes,
        float scale, ArrayView<float> dPre, ArrayView<float> lossSum)
    {
        var partial = SharedMemory.Allocate<float>(KernelSet.GroupSize);
        int t = Group.IdxX;
        float loss = 0f;
        for (int b = t; b < batch; b += KernelSet.GroupSize)
        {
            int row = b * classes, label = labels[b];
            for (int j = 0; j < classes; j++)
            {
                float a = outputs[row + j], diff = a - (j == label ? 1f : 0f);
                loss += 0.5f * diff * diff;
                dPre[row + j] = scale * diff * a * (1f - a);
            }
        }
        partial[t] = loss;
        GroupSum(partial);
        if (t == 0) lossSum[0] += partial[0];
    }

    internal static void Load(KernelSet k)
    {
        k.SoftmaxCrossEntropy = k.Accelerator.LoadKernel<ArrayView<float>, ArrayView<int>, int, int, float,
            ArrayView<float>, ArrayView<float>>(SoftmaxCrossEntropy);
        k.QuadraticCost = k.Accelerator.LoadKernel<ArrayView<float>, ArrayView<int>, int, int, float,
            ArrayView<float>, ArrayView<float>>(QuadraticCost);
    }

    private static KernelConfig OneGroup => new(1, KernelSet.GroupSize);

    internal static void LaunchSoftmaxCrossEntropy(KernelSet k, AcceleratorStream s, ArrayView<float> logits,
        ArrayView<int> labels, int batch, int classes, float scale, ArrayView<float> dLogits,
        ArrayView<float> lossSum) =>
        k.SoftmaxCrossEntropy(s, OneGroup, logits, labels, batch, classes, scale, dLogits, lossSum);

    internal static void LaunchQuadraticCost(KernelSet k, AcceleratorStream s, ArrayView<float> outputs,
        ArrayView<int> labels, int batch, int classes, float scale, ArrayView<float> dPre, ArrayView<float> lossSum) =>
        k.QuadraticCost(s, OneGroup, outputs, labels, batch, classes, scale, dPre, lossSum);
}
