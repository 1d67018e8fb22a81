// MetricsKernels: predictions and accuracy from scores (B,C).
//
//   Argmax        predictions[b] = the index of row b's largest score, the first on ties.
//                 Launch: implicitly grouped, one thread per row.
//   CountCorrect  correct[0] += number of rows whose argmax equals labels[b].
//                 Launch: explicitly grouped, one group of 256 threads striding over the rows, a fixed
//                 shared-memory tree, thread 0 adds (no atomics, as LossKernels).
//
// CPU twins: ReferenceBackend.ArgmaxCore / CountCorrectCore; host side: IlgpuBackend's → Launch….
using ILGPU;
using ILGPU.Runtime;

namespace Digits.Gpu.Kernels;

[KernelBudget(nameof(Argmax), registers: 24, sharedBytes: 0)]
[KernelBudget(nameof(CountCorrect), registers: 24, sharedBytes: 4 * KernelSet.GroupSize, Threads = KernelSet.GroupSize)]
internal static class MetricsKernels
{
    internal static int ArgmaxRow(ArrayView<float> scores, int row, int classes)
    {
        int best = 0;
        float top = scores[row];
        for (int j = 1; j < classes; j++)
        {
            float v = scores[row + j];
            if (v > top)
            {
                top = v;
                best = j;
            }
        }
        return best;
    }

    [Kernel(grouped: false)]
    internal static void Argmax(Index1D b, ArrayView<float> scores, int classes, ArrayView<int> predictions) =>
        predictions[b] = ArgmaxRow(scores, b * classes, classes);

    [Kernel(grouped: true)]
    internal static void CountCorrect(ArrayView<float> scores, ArrayView<int> labels, int batch, int classes,
        ArrayView<int> correct)
    {
        var partial = SharedMemory.Allocate<int>(KernelSet.GroupSize);
        int t = Group.IdxX, count = 0;
        for (int b = t; b < batch; b += KernelSet.GroupSize)
            if (ArgmaxRow(scores, b * classes, classes) == labels[b]) count++;
        partial[t] = count;
        for (int stride = KernelSet.GroupSize / 2; stride > 0; stride >>= 1)
        {
            Group.Barrier();
            if (t < stride) partial[t] += partial[t + stride];
        }
        Group.Barrier();
        if (t == 0) correct[0] += partial[0];
    }

    internal static void Load(KernelSet k)
    {
        k.Argmax = k.Accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, int, ArrayView<int>>(Argmax);
        k.CountCorrect = k.Accelerator.LoadKernel<ArrayView<float>, ArrayView<int>, int, int, ArrayView<int>>(
            CountCorrect);
    }

    internal static void LaunchArgmax(KernelSet k, AcceleratorStream s, ArrayView<float> scores, int batch,
        int classes, ArrayView<int> predictions) =>
        k.Argmax(s, KernelSet.Threads(batch), scores, classes, predictions);

    internal static void LaunchCountCorrect(KernelSet k, AcceleratorStream s, ArrayView<float> scores,
        ArrayView<int> labels, int batch, int classes, ArrayView<int> correct) =>
        k.CountCorrect(s, new KernelConfig(1, KernelSet.GroupSize), scores, labels, batch, classes, correct);
}
