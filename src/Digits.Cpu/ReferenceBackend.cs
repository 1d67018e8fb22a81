using Digits.Core.Backends;

namespace Digits.Cpu;

/// <summary>
/// The oracle every other backend is tested against: plain loops over the formulas in
/// <see cref="IBackend"/>'s docs, sums accumulated in double, no SIMD, no threads, no tiling. Itself
/// checked by central finite differences (tests/Digits.Tests/Reference). Slow by design; use
/// <c>CpuBackend</c> to train. Not sealed: the tests derive a backend from it that records steps the way CUDA graphs
/// do (tests/Digits.Tests/Support/RecordingBackend.cs), to check the trainer's step capture without a GPU.
/// </summary>
public class ReferenceBackend : HostBackend
{
    public override string Name => "reference";
    public override string Description => "reference: plain C# loops, double accumulation, one thread";

    /// <summary>y = act(z), the forward of <see cref="Activation"/>, in double.</summary>
    public static double Activate(Activation activation, double z) => activation switch
    {
        Activation.Identity => z,
        Activation.Relu => z > 0 ? z : 0,
        Activation.Sigmoid => 1.0 / (1.0 + Math.Exp(-z)),
        Activation.Tanh => Math.Tanh(z),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    /// <summary>act′ written in terms of the output y.</summary>
    public static double Derivative(Activation activation, double y) => activation switch
    {
        Activation.Identity => 1,
        Activation.Relu => y > 0 ? 1 : 0,
        Activation.Sigmoid => y * (1 - y),
        Activation.Tanh => 1 - y * y,
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    protected override void LinearForwardCore(BufferView<float> x, BufferView<float> weight, BufferView<float> bias,
        Activation activation, int batch, int inputs, int outputs, BufferView<float> y)
    {
        Span<float> xs = x.Span(), w = weight.Span(), bs = bias.Span(), ys = y.Span();
        for (int b = 0; b < batch; b++)
            for (int o = 0; o < outputs; o++)
            {
                double sum = bs[o];
                for (int i = 0; i < inputs; i++) sum += (double)xs[b * inputs + i] * w[o * inputs + i];
                ys[b * outputs + o] = (float)Activate(activation, sum);
            }
    }

    protected override void ActivationBackwardCore(BufferView<float> y, BufferView<float> dy, Activation activation,
        int count, BufferView<float> dz)
    {
        Span<float> ys = y.Span(), dys = dy.Span(), dzs = dz.Span();
        for (int k = 0; k < count; k++) dzs[k] = (float)(dys[k] * Derivative(activation, ys[k]));
    }

    protected override void LinearBackwardInputCore(BufferView<float> dz, BufferView<float> weight, int batch,
        int inputs, int outputs, BufferView<float> dx)
    {
        Span<float> dzs = dz.Span(), w = weight.Span(), dxs = dx.Span();
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < inputs; i++)
            {
                double sum = 0;
                for (int o = 0; o < outputs; o++) sum += (double)dzs[b * outputs + o] * w[o * inputs + i];
                dxs[b * inputs + i] = (float)sum;
            }
    }

    protected override void LinearBackwardWeightCore(BufferView<float> x, BufferView<float> dz, int batch,
        int inputs, int outputs, BufferView<float> dWeight)
    {
        Span<float> xs = x.Span(), dzs = dz.Span(), dw = dWeight.Span();
        for (int o = 0; o < outputs; o++)
            for (int i = 0; i < inputs; i++)
            {
                double sum = 0;
                for (int b = 0; b < batch; b++) sum += (double)dzs[b * outputs + o] * xs[b * inputs + i];
                dw[o * inputs + i] = (float)sum;
            }
    }

    protected override void BiasBackwardCore(BufferView<float> dz, int batch, int outputs, BufferView<float> dBias)
    {
        Span<float> dzs = dz.Span(), db = dBias.Span();
        for (int o = 0; o < outputs; o++)
        {
            double sum = 0;
            for (int b = 0; b < batch; b++) sum += dzs[b * outputs + o];
            db[o] = (float)sum;
        }
    }

    protected override void SoftmaxCrossEntropyCore(BufferView<float> logits, BufferView<int> labels, int batch,
        int classes, float scale, BufferView<float> dLogits, BufferView<float> lossSum)
    {
        Span<float> z = logits.Span(), dz = dLogits.Span();
        Span<int> ys = labels.Span();
        double total = 0;
        for (int b = 0; b < batch; b++)
        {
            var row = z.Slice(b * classes, classes);
            double max = double.NegativeInfinity;
            for (int j = 0; j < classes; j++) max = Math.Max(max, row[j]);
            double sumExp = 0;
            for (int j = 0; j < classes; j++) sumExp += Math.Exp(row[j] - max);
            double logSumExp = Math.Log(sumExp) + max;
            int label = ys[b];
            total += logSumExp - row[label];
            for (int j = 0; j < classes; j++)
            {
                double p = Math.Exp(row[j] - logSumExp);
                dz[b * classes + j] = (float)(scale * (p - (j == label ? 1 : 0)));
            }
        }
        lossSum.Span()[0] += (float)total;
    }

    protected override void QuadraticCostCore(BufferView<float> outputs, BufferView<int> labels, int batch,
        int classes, float scale, BufferView<float> dPre, BufferView<float> lossSum)
    {
        Span<float> a = outputs.Span(), d = dPre.Span();
        Span<int> ys = labels.Span();
        double total = 0;
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < classes; j++)
            {
                double ak = a[b * classes + j];
                double diff = ak - (j == ys[b] ? 1 : 0);
                total += 0.5 * diff * diff;
                d[b * classes + j] = (float)(scale * diff * ak * (1 - ak));
            }
        lossSum.Span()[0] += (float)total;
    }

    private static int ArgmaxRow(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int j = 1; j < row.Length; j++)
            if (row[j] > row[best]) best = j;
        return best;
    }

    protected override void ArgmaxCore(BufferView<float> scores, int batch, int classes, BufferView<int> predictions)
    {
        Span<float> s = scores.Span();
        Span<int> p = predictions.Span();
        for (int b = 0; b < batch; b++) p[b] = ArgmaxRow(s.Slice(b * classes, classes));
    }

    protected override void CountCorrectCore(BufferView<float> scores, BufferView<int> labels, int batch,
        int classes, BufferView<int> correct)
    {
        Span<float> s = scores.Span();
        Span<int> ys = labels.Span();
        int count = 0;
        for (int b = 0; b < batch; b++)
            if (ArgmaxRow(s.Slice(b * classes, classes)) == ys[b]) count++;
        correct.Span()[0] += count;
    }

    protected override void GatherBatchCore(BufferView<float> images, BufferView<int> labels,
        BufferView<int> indices, int start, int batch, int features, BufferView<float> x, BufferView<int> y)
    {
        Span<float> img = images.Span(), xs = x.Span();
        Span<int> lab = labels.Span(), idx = indices.Span(), ys = y.Span();
        int rows = features == 0 ? lab.Length : img.Length / features;
        for (int r = 0; r < batch; r++)
        {
            int n = idx[start + r];
            if ((uint)n >= (uint)rows || (uint)n >= (uint)lab.Length)
                throw new ArgumentOutOfRangeException(nameof(indices), n, $"index outside the {rows} dataset rows");
            img.Slice(n * features, features).CopyTo(xs.Slice(r * features, features));
            ys[r] = lab[n];
        }
    }

    protected override void SgdStepCore(BufferView<float> gradients, int count, int decayCount, float learningRate,
        float weightDecay, BufferView<float> parameters)
    {
        Span<float> g = gradients.Span(), p = parameters.Span();
        for (int k = 0; k < count; k++)
        {
            float grad = g[k] + (k < decayCount ? weightDecay * p[k] : 0f);
            p[k] -= learningRate * grad;
        }
    }

    protected override void MomentumStepCore(BufferView<float> gradients, int count, int decayCount,
        float learningRate, float momentum, float weightDecay, BufferView<float> velocity,
        BufferView<float> parameters)
    {
        Span<float> g = gradients.Span(), v = velocity.Span(), p = parameters.Span();
        for (int k = 0; k < count; k++)
        {
            float grad = g[k] + (k < decayCount ? weightDecay * p[k] : 0f);
            v[k] = momentum * v[k] + grad;
            p[k] -= learningRate * v[k];
        }
    }

    protected override void AdamStepCore(BufferView<float> gradients, int count, int decayCount,
        in AdamStepScalars adam, BufferView<float> m, BufferView<float> v, BufferView<float> parameters)
    {
        Span<float> g = gradients.Span(), ms = m.Span(), vs = v.Span(), p = parameters.Span();
        for (int k = 0; k < count; k++)
        {
            float grad = g[k] + (k < decayCount ? adam.WeightDecay * p[k] : 0f);
            ms[k] = adam.Beta1 * ms[k] + (1 - adam.Beta1) * grad;
            vs[k] = adam.Beta2 * vs[k] + (1 - adam.Beta2) * grad * grad;
            p[k] -= adam.LearningRate * (ms[k] * adam.Correction1) /
                    (MathF.Sqrt(vs[k] * adam.Correction2) + adam.Epsilon);
        }
    }

    /// <summary>Per element, straight from the definition: one Philox block per element (see
    /// <see cref="DropoutParameters.Keep(int, int)"/>).</summary>
    protected override void DropoutCore(BufferView<float> x, int step, in DropoutParameters dropout, int count,
        BufferView<float> y)
    {
        Span<float> xs = x.Span(), ys = y.Span();
        for (int e = 0; e < count; e++)
            ys[e] = dropout.Keep(e, step) ? xs[e] * dropout.Scale : 0f;
    }

    protected override void MaxNormCore(BufferView<float> weight, int outputs, int inputs, float maxNorm)
    {
        Span<float> w = weight.Span();
        for (int o = 0; o < outputs; o++)
        {
            var row = w.Slice(o * inputs, inputs);
            float sum = 0f;
            for (int i = 0; i < inputs; i++) sum += row[i] * row[i];
            float norm = MathF.Sqrt(sum);
            if (!(norm > maxNorm)) continue;
            float factor = maxNorm / norm;
            for (int i = 0; i < inputs; i++) row[i] *= factor;
        }
    }

    /// <summary>Image by image, as <see cref="AugmentParameters"/> defines it: the raw field, its horizontal then
    /// vertical Gaussian pass (taps outside the image skipped), then the affine map plus α times the field,
    /// sampled bilinearly.</summary>
    protected override void AugmentCore(BufferView<float> x, int step, in AugmentParameters augment, int batch,
        BufferView<float> gaussian, BufferView<float> field, BufferView<float> y)
    {
        for (int r = 0; r < batch; r++) AugmentImage(x.Span(), step, augment, batch, r, gaussian.Span(), field.Span(), y.Span());
    }

    /// <summary>One image of <see cref="AugmentCore"/>: image r of x into image r of y, its fields in field's
    /// slices r (raw, then smoothed) and B + r (the horizontal pass).</summary>
    internal static void AugmentImage(ReadOnlySpan<float> x, int step, in AugmentParameters a, int batch, int r,
        ReadOnlySpan<float> gaussian, Span<float> field, Span<float> y)
    {
        int h = a.Height, w = a.Width, pixels = h * w, radius = a.ElasticRadius;
        var image = x.Slice(r * pixels, pixels);
        var output = y.Slice(r * pixels, pixels);
        Span<float> smooth = default;
        if (radius > 0)
        {
            var raw = field.Slice(r * 2 * pixels, 2 * pixels);
            var across = field.Slice((batch + r) * 2 * pixels, 2 * pixels);
            for (int e = 0; e < 2 * pixels; e++) raw[e] = Augmentation.RawField(a, r, step, e);
            for (int c = 0; c < 2; c++)
                for (int v = 0; v < h; v++)
                    for (int u = 0; u < w; u++)
                    {
                        float sum = 0f;
                        for (int k = -radius; k <= radius; k++)
                            if (u + k >= 0 && u + k < w)
                                sum += gaussian[k + radius] * raw[c * pixels + v * w + u + k];
                        across[c * pixels + v * w + u] = sum;
                    }
            for (int c = 0; c < 2; c++)
                for (int v = 0; v < h; v++)
                    for (int u = 0; u < w; u++)
                    {
                        float sum = 0f;
                        for (int k = -radius; k <= radius; k++)
                            if (v + k >= 0 && v + k < h)
                                sum += gaussian[k + radius] * across[c * pixels + (v + k) * w + u];
                        raw[c * pixels + v * w + u] = sum;
                    }
            smooth = raw;
        }
        Warp(image, a, Augmentation.Map(a, r, step), smooth, output);
    }

    /// <summary>The last stage of <see cref="AugmentCore"/> for one image (shared with the CPU backend): each output
    /// pixel samples <paramref name="image"/> bilinearly at its affine source plus α times the smoothed field
    /// (<paramref name="smooth"/>: x then y components, H·W each; empty without an elastic distortion), zeros outside.</summary>
    internal static void Warp(ReadOnlySpan<float> image, in AugmentParameters a, in AffineMap map,
        ReadOnlySpan<float> smooth, Span<float> output)
    {
        int h = a.Height, w = a.Width, pixels = h * w;
        for (int v = 0; v < h; v++)
            for (int u = 0; u < w; u++)
            {
                float sx = Augmentation.SourceX(map, u, v), sy = Augmentation.SourceY(map, u, v);
                if (a.ElasticRadius > 0)
                {
                    sx += a.ElasticAlpha * smooth[v * w + u];
                    sy += a.ElasticAlpha * smooth[pixels + v * w + u];
                }
                int x0 = Augmentation.Floor(sx, w), y0 = Augmentation.Floor(sy, h);
                float fx = sx - x0, fy = sy - y0;
                output[v * w + u] = Augmentation.Bilinear(Pixel(image, x0, y0), Pixel(image, x0 + 1, y0),
                    Pixel(image, x0, y0 + 1), Pixel(image, x0 + 1, y0 + 1), fx, fy);
            }

        float Pixel(ReadOnlySpan<float> img, int i, int j) => (uint)i < (uint)w && (uint)j < (uint)h ? img[j * w + i] : 0f;
    }
}
