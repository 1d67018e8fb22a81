using Digits.Core.Backends;

namespace Digits.Cpu;

// Mini-batch gather from a dataset held in the backend's memory.
public sealed partial class CpuBackend
{
    /// <summary>x[r,:] = images[indices[start+r],:], y[r] = labels[indices[start+r]] for r in [0,B).
    /// images (N,I), labels (N), indices (≥ start+B), x (B,I), y (B).</summary>
    /// <exception cref="ArgumentOutOfRangeException">an index is outside the dataset's rows (checked for
    /// every row before anything is written).</exception>
    protected override void GatherBatchCore(BufferView<float> images, BufferView<int> labels,
        BufferView<int> indices, int start, int batch, int features, BufferView<float> x, BufferView<int> y)
    {
        ReadOnlySpan<float> img = images.Span();
        ReadOnlySpan<int> lab = labels.Span(), idx = indices.Span().Slice(start, batch);
        Span<float> xs = x.Span();
        Span<int> ys = y.Span();
        int rows = Math.Min(features == 0 ? lab.Length : img.Length / features, lab.Length);
        foreach (int n in idx)
            if ((uint)n >= (uint)rows)
                throw new ArgumentOutOfRangeException(nameof(indices), n, $"index outside the {rows} dataset rows");
        for (int r = 0; r < batch; r++)
        {
            int n = idx[r];
            img.Slice(n * features, features).CopyTo(xs.Slice(r * features, features));
            ys[r] = lab[n];
        }
    }
}
