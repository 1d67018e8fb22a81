using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Digits.Core.Backends;
using Digits.Cpu.Threading;

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
        for (int r = 0; r < batch; r++) ys[r] = lab[idx[r]];
        fixed (float* img = images.Array(), xp = x.Array())
        fixed (int* ip = indices.Array())
        {
            var w = _gather;
            w.Images = img + images.Offset;
            w.Indices = ip + indices.Offset + start;
            w.X = xp + x.Offset;
            (w.Batch, w.Features) = (batch, features);
            // Split between threads above MinGatherFloatsPerThread per thread: each copies whole rows, and more
            // threads keep more DRAM misses in flight (small: 65 → ~35 µs per step).
            long floats = (long)batch * features;
            int chunks = (int)Math.Clamp(floats / MinGatherFloatsPerThread, 1, Threads);
            _pool.Run(w, chunks);
        }
    }

    /// <summary>Fewest floats of a mini-batch worth a thread of their own in the gather (≈ 5 µs of copying).
    /// </summary>
    internal const int MinGatherFloatsPerThread = 16 * 1024;

    private readonly GatherWork _gather = new();

    /// <summary>Rows [B·chunk/chunks, B·(chunk+1)/chunks) of the gather, with rows prefetched ahead.</summary>
    private sealed unsafe class GatherWork : ParallelWork
    {
        public float* Images, X;
        public int* Indices;
        public int Batch, Features;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void Execute(int chunk, int chunks, int thread)
        {
            int r0 = (int)((long)Batch * chunk / chunks), r1 = (int)((long)Batch * (chunk + 1) / chunks);
            int features = Features;
            for (int r = r0; r < Math.Min(r0 + GatherAhead, r1); r++)
                PrefetchRow(Images + (nint)Indices[r] * features, features);
            for (int r = r0; r < r1; r++)
            {
                if (r + GatherAhead < r1) PrefetchRow(Images + (nint)Indices[r + GatherAhead] * features, features);
                Buffer.MemoryCopy(Images + (nint)Indices[r] * features, X + (nint)r * features,
                    (long)features * sizeof(float), (long)features * sizeof(float));
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
