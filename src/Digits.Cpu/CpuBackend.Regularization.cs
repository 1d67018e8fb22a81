using System.Runtime.CompilerServices;
using Digits.Core.Backends;
using Digits.Cpu.Threading;

namespace Digits.Cpu;

// Dropout, max-norm and augmentation on the CPU. Each element's (each row's, each image's) result depends on nothing
// but its own inputs and the Philox counter, so any split over threads gives the reference's bits: dropout draws one
// Philox block per 8 elements (the reference draws the same block once per element), max-norm sums each row in index
// order on one thread, and augmentation runs the reference's per-image code on whole images.
public sealed partial class CpuBackend
{
    private readonly DropoutWork _dropout = new();
    private readonly MaxNormWork _maxNorm = new();
    private readonly AugmentWork _augment = new();

    /// <summary>Fewest elements worth a thread of their own in a dropout pass (Philox costs ≈ 10 ns per 8).</summary>
    internal const int MinDropoutPerThread = 4 * 1024;

    protected override unsafe void DropoutCore(BufferView<float> x, int step, in DropoutParameters dropout, int count,
        BufferView<float> y)
    {
        fixed (float* xp = x.Array(), yp = y.Array())
        {
            var w = _dropout;
            w.X = xp + x.Offset;
            w.Y = yp + y.Offset;
            (w.Count, w.Step, w.Parameters) = (count, step, dropout);
            _pool.Run(w, Math.Clamp(count / MinDropoutPerThread, 1, 4 * Threads));
        }
    }

    protected override unsafe void MaxNormCore(BufferView<float> weight, int outputs, int inputs, float maxNorm)
    {
        fixed (float* wp = weight.Array())
        {
            var w = _maxNorm;
            w.W = wp + weight.Offset;
            (w.Outputs, w.Inputs, w.MaxNorm) = (outputs, inputs, maxNorm);
            _pool.Run(w, (long)outputs * inputs < MinElementsPerThread ? 1 : Math.Min(outputs, 4 * Threads));
        }
    }

    protected override void AugmentCore(BufferView<float> x, int step, in AugmentParameters augment, int batch,
        BufferView<float> gaussian, BufferView<float> field, BufferView<float> y)
    {
        var w = _augment;
        (w.X, w.Step, w.Parameters, w.Batch, w.Gaussian, w.Field, w.Y) = (x, step, augment, batch, gaussian, field, y);
        _pool.Run(w, Math.Min(batch, 8 * Threads));
        (w.X, w.Gaussian, w.Field, w.Y) = (default, default, default, default);
    }

    /// <summary>Ranges of whole 8-element Philox blocks.</summary>
    private sealed unsafe class DropoutWork : ParallelWork
    {
        public float* X, Y;
        public int Count, Step;
        public DropoutParameters Parameters;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void Execute(int chunk, int chunks, int thread)
        {
            int blocks = (Count + 7) >> 3;
            int from = (int)((long)blocks * chunk / chunks), to = (int)((long)blocks * (chunk + 1) / chunks);
            var d = Parameters;
            float scale = d.Scale;
            for (int b = from; b < to; b++)
            {
                var block = Philox.Block((uint)b, (uint)Step, (uint)d.Stream, Philox.PurposeDropout, d.SeedLow, d.SeedHigh);
                int first = b << 3, last = Math.Min(first + 8, Count);
                for (int e = first; e < last; e++)
                    Y[e] = DropoutParameters.Keep(block, e, d.Threshold) ? X[e] * scale : 0f;
            }
        }
    }

    /// <summary>Ranges of whole rows, each summed in index order.</summary>
    private sealed unsafe class MaxNormWork : ParallelWork
    {
        public float* W;
        public int Outputs, Inputs;
        public float MaxNorm;

        public override void Execute(int chunk, int chunks, int thread)
        {
            int from = (int)((long)Outputs * chunk / chunks), to = (int)((long)Outputs * (chunk + 1) / chunks);
            for (int o = from; o < to; o++)
            {
                float* row = W + (long)o * Inputs;
                float sum = 0f;
                for (int i = 0; i < Inputs; i++) sum += row[i] * row[i];
                float norm = MathF.Sqrt(sum);
                if (!(norm > MaxNorm)) continue;
                float factor = MaxNorm / norm;
                for (int i = 0; i < Inputs; i++) row[i] *= factor;
            }
        }
    }

    /// <summary>Ranges of whole images through the reference's per-image code.</summary>
    private sealed class AugmentWork : ParallelWork
    {
        public BufferView<float> X, Gaussian, Field, Y;
        public int Step, Batch;
        public AugmentParameters Parameters;

        public override void Execute(int chunk, int chunks, int thread)
        {
            int from = (int)((long)Batch * chunk / chunks), to = (int)((long)Batch * (chunk + 1) / chunks);
            for (int r = from; r < to; r++)
                ReferenceBackend.AugmentImage(X.Span(), Step, Parameters, Batch, r, Gaussian.Span(), Field.Span(), Y.Span());
        }
    }
}
