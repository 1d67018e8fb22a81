using System.Numerics;
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

    /// <summary>Ranges of whole images. Per image: the raw field from one Philox block per 4 elements, the two
    /// Gaussian passes vectorized across a row (each lane sums its taps in the reference's order; a tap outside the
    /// image adds an exact zero where the reference skips it, which changes no bit), then the reference's warp (<see cref="ReferenceBackend.Warp"/>).</summary>
    private sealed class AugmentWork : ParallelWork
    {
        public BufferView<float> X, Gaussian, Field, Y;
        public int Step, Batch;
        public AugmentParameters Parameters;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void Execute(int chunk, int chunks, int thread)
        {
            int from = (int)((long)Batch * chunk / chunks), to = (int)((long)Batch * (chunk + 1) / chunks);
            var a = Parameters;
            int h = a.Height, w = a.Width, pixels = h * w, radius = a.ElasticRadius;
            ReadOnlySpan<float> x = X.Span(), g = Gaussian.Span();
            Span<float> field = Field.Span(), y = Y.Span();
            int width = Vector<float>.Count;
            int padded = (w + 4 * width - 1) / (4 * width) * (4 * width);
            // Per thread: one zero-padded line, the horizontal pass (2H lines of `padded`), one result row.
            Span<float> row = radius > 0 ? stackalloc float[padded + 2 * radius] : default;
            Span<float> across = radius > 0 && 2 * h * padded <= 16384 ? stackalloc float[2 * h * padded] : default;
            if (radius > 0 && across.IsEmpty) across = new float[2 * h * padded];
            Span<float> result = radius > 0 ? stackalloc float[4 * width] : default;
            row.Clear();
            for (int r = from; r < to; r++)
            {
                Span<float> smooth = default;
                if (radius > 0)
                {
                    var raw = field.Slice(r * 2 * pixels, 2 * pixels);
                    DrawField(raw, r);
                    SmoothAcross(raw, g, row, across, padded);
                    SmoothDown(raw, g, across, result, padded);
                    smooth = raw;
                }
                ReferenceBackend.Warp(x.Slice(r * pixels, pixels), a, Augmentation.Map(a, r, Step), smooth,
                    y.Slice(r * pixels, pixels));
            }
        }

        /// <summary>Image <paramref name="image"/>'s raw displacement field (2HW values in [−1, 1)): one Philox block
        /// per 4 elements.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void DrawField(Span<float> raw, int image)
        {
            uint seedLow = Parameters.SeedLow, seedHigh = Parameters.SeedHigh;
            for (int e = 0; e < raw.Length; e += 4)
            {
                var block = Philox.Block((uint)e >> 2, (uint)Step, (uint)image, Philox.PurposeElastic, seedLow, seedHigh);
                for (int j = 0; j < 4 && e + j < raw.Length; j++) raw[e + j] = 2f * Philox.Unit(block.Word(j)) - 1f;
            }
        }

        /// <summary>The horizontal Gaussian pass over the field's 2H lines into <paramref name="across"/> (2H lines of
        /// <paramref name="padded"/>): each line zero-padded by R on both sides in <paramref name="row"/>, four vector
        /// accumulators in registers.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void SmoothAcross(ReadOnlySpan<float> raw, ReadOnlySpan<float> g, Span<float> row, Span<float> across,
            int padded)
        {
            int h = Parameters.Height, w = Parameters.Width, radius = Parameters.ElasticRadius;
            int width = Vector<float>.Count;
            for (int line = 0; line < 2 * h; line++)
            {
                raw.Slice(line * w, w).CopyTo(row.Slice(radius, w));
                for (int u = 0; u < padded; u += 4 * width)
                {
                    Vector<float> s0 = default, s1 = default, s2 = default, s3 = default;
                    for (int k = 0; k <= 2 * radius; k++)
                    {
                        var tap = new Vector<float>(g[k]);
                        var at = row.Slice(u + k);
                        s0 += tap * new Vector<float>(at);
                        s1 += tap * new Vector<float>(at.Slice(width));
                        s2 += tap * new Vector<float>(at.Slice(2 * width));
                        s3 += tap * new Vector<float>(at.Slice(3 * width));
                    }
                    var into = across.Slice(line * padded + u);
                    s0.CopyTo(into);
                    s1.CopyTo(into.Slice(width));
                    s2.CopyTo(into.Slice(2 * width));
                    s3.CopyTo(into.Slice(3 * width));
                }
            }
        }

        /// <summary>The vertical Gaussian pass from <paramref name="across"/> back into the field, a vector row at a
        /// time through <paramref name="result"/>: taps outside the image skipped, as the reference does.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void SmoothDown(Span<float> raw, ReadOnlySpan<float> g, ReadOnlySpan<float> across, Span<float> result,
            int padded)
        {
            int h = Parameters.Height, w = Parameters.Width, pixels = h * w, radius = Parameters.ElasticRadius;
            int width = Vector<float>.Count;
            for (int c = 0; c < 2; c++)
                for (int v = 0; v < h; v++)
                    for (int u = 0; u < padded; u += 4 * width)
                    {
                        Vector<float> s0 = default, s1 = default, s2 = default, s3 = default;
                        for (int k = Math.Max(-radius, -v); k <= radius && v + k < h; k++)
                        {
                            var tap = new Vector<float>(g[k + radius]);
                            var at = across.Slice((c * h + v + k) * padded + u);
                            s0 += tap * new Vector<float>(at);
                            s1 += tap * new Vector<float>(at.Slice(width));
                            s2 += tap * new Vector<float>(at.Slice(2 * width));
                            s3 += tap * new Vector<float>(at.Slice(3 * width));
                        }
                        s0.CopyTo(result);
                        s1.CopyTo(result.Slice(width));
                        s2.CopyTo(result.Slice(2 * width));
                        s3.CopyTo(result.Slice(3 * width));
                        int n = Math.Min(4 * width, w - u);
                        result.Slice(0, n).CopyTo(raw.Slice(c * pixels + v * w + u, n));
                    }
        }
    }
}
