using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Digits.Core.Backends;

namespace Digits.Cpu;

// Mini-batch gather from a dataset held in the backend's memory.
public sealed partial class CpuBackend
{
    /// <summary>Rows prefetched ahead of the one being copied: a shuffled gather from a dataset larger than the
    /// caches is a chain of DRAM misses that the hardware prefetchers cannot predict.</summary>
    private const int GatherAhead = 4;

    /// <summary>x[r,:] = images[indices[start+r],:], y[r] = labels[indices[start+r]] for r in [0,B).
    /// images (N,I), labels (N), indices (≥ start+B), x (B,I), y (B).</summary>
    /// <exception cref="ArgumentOutOfRangeException">an index is outside the dataset's rows (checked for
    /// every row before anything is written).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override unsafe void GatherBatchCore(BufferView<float> images, BufferView<int> labels,
        BufferView<int> indices, int start, int batch, int features, BufferView<float> x, BufferView<int> y)
    {
        ReadOnlySpan<int> lab = labels.Span(), idx = indices.Span().Slice(start, batch);
        Span<float> xs = x.Span();
        Span<int> ys = y.Span();
        int rows = Math.Min(features == 0 ? lab.Length : images.Length / features, lab.Length);
        foreach (int n in idx)
            if ((uint)n >= (uint)rows)
                throw new ArgumentOutOfRangeException(nameof(indices), n, $"index outside the {rows} dataset rows");
        fixed (float* img = images.Array())
        {
            float* first = img + images.Offset;
            for (int r = 0; r < Math.Min(GatherAhead, batch); r++)
                PrefetchRow(first + (nint)idx[r] * features, features);
            for (int r = 0; r < batch; r++)
            {
                if (r + GatherAhead < batch) PrefetchRow(first + (nint)idx[r + GatherAhead] * features, features);
                new ReadOnlySpan<float>(first + (nint)idx[r] * features, features)
                    .CopyTo(xs.Slice(r * features, features));
                ys[r] = lab[idx[r]];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchRow(float* row, int features)
    {
        if (!Sse.IsSupported) return;
        for (int j = 0; j < features; j += 16) Sse.Prefetch0(row + j);
        Sse.Prefetch0(row + features - 1);
    }
}
