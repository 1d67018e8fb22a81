using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Digits.Core.Backends;

namespace Digits.Cpu;

// Losses and their gradients with respect to the last layer, argmax and accuracy. Row reductions are summed by
// one thread in row order (the loss total in double, as the reference does), so they are deterministic.
public sealed partial class CpuBackend
{
    /// <summary>
    /// Softmax + cross-entropy, forward and backward fused. In three passes over the (B,C) block so the
    /// exponentials run as one vectorized call rather than B short ones: dLogits ← z − max per row;
    /// dLogits ← exp(dLogits); then per row lossᵦ = log Σ − (z_y − max), dLogits ← scale·(p − onehot).
    /// logits (B,C), labels (B), dLogits (B,C) overwritten, lossSum (1) accumulated.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">a label is outside [0, C).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void SoftmaxCrossEntropyCore(BufferView<float> logits, BufferView<int> labels, int batch,
        int classes, float scale, BufferView<float> dLogits, BufferView<float> lossSum)
    {
        ReadOnlySpan<float> z = logits.Span();
        ReadOnlySpan<int> ys = labels.Span();
        Span<float> d = dLogits.Span();
        for (int b = 0; b < batch; b++)
        {
            if ((uint)ys[b] >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(labels), ys[b], $"label outside [0, {classes})");
            // A plain loop: for rows of 10, a library call per row cost more than the subtractions.
            var row = z.Slice(b * classes, classes);
            var shifted = d.Slice(b * classes, classes);
            float max = MaxOf(row);
            for (int j = 0; j < row.Length; j++) shifted[j] = row[j] - max;
        }
        TensorPrimitives.Exp(d[..(batch * classes)], d);
        double total = 0;
        for (int b = 0; b < batch; b++)
        {
            var row = d.Slice(b * classes, classes);
            int label = ys[b];
            float shiftedLabel = z[b * classes + label] - MaxOf(z.Slice(b * classes, classes));
            float sum = 0;
            for (int j = 0; j < row.Length; j++) sum += row[j];
            total += Math.Log(sum) - shiftedLabel;
            float factor = scale / sum;
            for (int j = 0; j < row.Length; j++) row[j] *= factor;
            row[label] -= scale;
        }
        lossSum.Span()[0] += (float)total;
    }

    /// <summary>The row's largest element (NaN if any is NaN, like Math.Max).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float MaxOf(ReadOnlySpan<float> row)
    {
        float max = row[0];
        for (int j = 1; j < row.Length; j++)
        {
            float v = row[j];
            if (v > max || float.IsNaN(v)) max = v;
        }
        return max;
    }

    /// <summary>lossᵦ = ½ Σⱼ (aᵦⱼ − tᵦⱼ)², dPre = scale·(a − t)·a(1 − a). outputs (B,C), labels (B),
    /// dPre (B,C) overwritten, lossSum (1) accumulated.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void QuadraticCostCore(BufferView<float> outputs, BufferView<int> labels, int batch,
        int classes, float scale, BufferView<float> dPre, BufferView<float> lossSum)
    {
        ReadOnlySpan<float> a = outputs.Span();
        ReadOnlySpan<int> ys = labels.Span();
        Span<float> d = dPre.Span();
        double total = 0;
        for (int b = 0; b < batch; b++)
        {
            int label = ys[b], start = b * classes;
            float rowLoss = 0;
            for (int j = 0; j < classes; j++)
            {
                float ak = a[start + j], diff = j == label ? ak - 1 : ak;
                rowLoss += diff * diff;
                d[start + j] = scale * diff * (ak * (1 - ak));
            }
            total += 0.5 * rowLoss;
        }
        lossSum.Span()[0] += (float)total;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ArgmaxRow(ReadOnlySpan<float> row)
    {
        int best = 0;
        float max = row[0];
        for (int j = 1; j < row.Length; j++)
            if (row[j] > max) (best, max) = (j, row[j]);
        return best;
    }

    /// <summary>Index of the largest score per row, first on ties. scores (B,C), predictions (B).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void ArgmaxCore(BufferView<float> scores, int batch, int classes, BufferView<int> predictions)
    {
        ReadOnlySpan<float> s = scores.Span();
        Span<int> p = predictions.Span();
        for (int b = 0; b < batch; b++) p[b] = ArgmaxRow(s.Slice(b * classes, classes));
    }

    /// <summary>correct[0] += rows whose argmax equals the label. scores (B,C), labels (B), correct (1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void CountCorrectCore(BufferView<float> scores, BufferView<int> labels, int batch,
        int classes, BufferView<int> correct)
    {
        ReadOnlySpan<float> s = scores.Span();
        ReadOnlySpan<int> ys = labels.Span();
        int count = 0;
        for (int b = 0; b < batch; b++)
            if (ArgmaxRow(s.Slice(b * classes, classes)) == ys[b]) count++;
        correct.Span()[0] += count;
    }
}
