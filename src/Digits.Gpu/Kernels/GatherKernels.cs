// GatherKernels: a mini-batch gathered from a dataset that lives on the device, so a training step uploads
// nothing. With start = counter[0]·stride (read on the device), for r in [0,B): x[r,:] = images[indices[start+r],:],
// y[r] = labels[indices[start+r]]. images (N,F), labels (N), indices (any length), counter (≥ 1), x (B,F), y (B).
// Launch: implicitly grouped over B·F + B threads: thread t < B·F copies pixel t (consecutive threads, consecutive
// pixels of one row: coalesced), thread B·F + r writes label r.
// A position start+r outside the indices, or an index outside [0, rows), cannot throw on a device: its row of x
// is zero-filled and its label is −1 (the CPU backends throw). rows = min(images rows, labels) comes from the host.
// CPU twin: ReferenceBackend.GatherBatchCore (through HostBackend); host side: IlgpuBackend.GatherBatchCore →
// LaunchGatherBatch.
using ILGPU;
using ILGPU.Runtime;

namespace Digits.Gpu.Kernels;

/// <summary>The gather's sizes: <see cref="Stride"/> the run's mini-batch size, <see cref="Batch"/> the rows to
/// gather, <see cref="Features"/> per row, <see cref="Rows"/> in the dataset.</summary>
public struct GatherShape
{
    public int Stride, Batch, Features, Rows;
}

[KernelBudget(nameof(GatherBatch), registers: 24, sharedBytes: 0)]
internal static class GatherKernels
{
    [Kernel(grouped: false)]
    internal static void GatherBatch(Index1D t, ArrayView<float> images, ArrayView<int> labels,
        ArrayView<int> indices, ArrayView<int> counter, GatherShape s, ArrayView<float> x, ArrayView<int> y)
    {
        int pixels = s.Batch * s.Features;
        int r = t < pixels ? t / s.Features : t - pixels;
        long i = (long)counter[0] * s.Stride + r;
        int n = i >= 0 && i < indices.Length ? indices[i] : -1;
        bool inside = n >= 0 && n < s.Rows;
        if (t < pixels)
            x[t] = inside ? images[(long)n * s.Features + (t - r * s.Features)] : 0f;
        else
            y[r] = inside ? labels[n] : -1;
    }

    internal static void Load(KernelSet k) =>
        k.GatherBatch = k.Accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>,
            ArrayView<int>, GatherShape, ArrayView<float>, ArrayView<int>>(GatherBatch);

    internal static void LaunchGatherBatch(KernelSet k, AcceleratorStream s, ArrayView<float> images,
        ArrayView<int> labels, ArrayView<int> indices, ArrayView<int> counter, int stride, int batch, int features,
        ArrayView<float> x, ArrayView<int> y)
    {
        int rows = features == 0 ? (int)labels.Length : (int)Math.Min(images.Length / features, labels.Length);
        k.GatherBatch(s, KernelSet.Threads((long)batch * features + batch), images, labels, indices, counter,
            new GatherShape { Stride = stride, Batch = batch, Features = features, Rows = rows }, x, y);
    }
}
