using System.Numerics;
using System.Runtime.CompilerServices;
using Digits.Core.Backends;
using Digits.Cpu.Gemm;

namespace Digits.Cpu;

// Dense layers: the three GEMMs, the bias gradient and the activation gradient.
// Gradients overwrite their destinations (IBackend's rule); nothing accumulates across calls.
public sealed partial class CpuBackend
{
    /// <summary>y[b,o] = act(bias[o] + Σᵢ x[b,i]·W[o,i]): GEMM NT, bias and activation fused into the store.
    /// x (B,I), weight (O,I), bias (O), y (B,O).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override unsafe void LinearForwardCore(BufferView<float> x, BufferView<float> weight,
        BufferView<float> bias, Activation activation, int batch, int inputs, int outputs, BufferView<float> y)
    {
        fixed (float* xp = x.Array(), wp = weight.Array(), bp = bias.Array(), yp = y.Array())
        {
            _gemm.Multiply(_pool, new GemmProblem(batch, outputs, inputs,
                xp + x.Offset, inputs, false, wp + weight.Offset, inputs, true, yp + y.Offset, outputs,
                bp + bias.Offset, activation));
        }
    }

    /// <summary>dx[b,i] = Σₒ dz[b,o]·W[o,i]: GEMM NN. dz (B,O), weight (O,I), dx (B,I) overwritten.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override unsafe void LinearBackwardInputCore(BufferView<float> dz, BufferView<float> weight,
        int batch, int inputs, int outputs, BufferView<float> dx)
    {
        fixed (float* dzp = dz.Array(), wp = weight.Array(), dxp = dx.Array())
        {
            _gemm.Multiply(_pool, new GemmProblem(batch, inputs, outputs,
                dzp + dz.Offset, outputs, false, wp + weight.Offset, inputs, false, dxp + dx.Offset, inputs));
        }
    }

    /// <summary>dW[o,i] = Σ_b dz[b,o]·x[b,i]: GEMM TN. x (B,I), dz (B,O), dWeight (O,I) overwritten.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override unsafe void LinearBackwardWeightCore(BufferView<float> x, BufferView<float> dz, int batch,
        int inputs, int outputs, BufferView<float> dWeight)
    {
        fixed (float* xp = x.Array(), dzp = dz.Array(), dwp = dWeight.Array())
        {
            _gemm.Multiply(_pool, new GemmProblem(outputs, inputs, batch,
                dzp + dz.Offset, outputs, true, xp + x.Offset, inputs, false, dwp + dWeight.Offset, inputs));
        }
    }

    /// <summary>db[o] = Σ_b dz[b,o], summed over b in order (one thread) for each vector of columns.
    /// dz (B,O), dBias (O) overwritten.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void BiasBackwardCore(BufferView<float> dz, int batch, int outputs, BufferView<float> dBias)
    {
        ReadOnlySpan<float> d = dz.Span();
        Span<float> db = dBias.Span();
        int width = Vector<float>.Count, o = 0;
        for (; o + 4 * width <= outputs; o += 4 * width)
        {
            Vector<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int b = 0; b < batch; b++)
            {
                var row = d.Slice(b * outputs + o);
                s0 += new Vector<float>(row);
                s1 += new Vector<float>(row[width..]);
                s2 += new Vector<float>(row[(2 * width)..]);
                s3 += new Vector<float>(row[(3 * width)..]);
            }
            s0.CopyTo(db[o..]);
            s1.CopyTo(db[(o + width)..]);
            s2.CopyTo(db[(o + 2 * width)..]);
            s3.CopyTo(db[(o + 3 * width)..]);
        }
        for (; o + width <= outputs; o += width)
        {
            Vector<float> s = default;
            for (int b = 0; b < batch; b++) s += new Vector<float>(d.Slice(b * outputs + o));
            s.CopyTo(db[o..]);
        }
        for (; o < outputs; o++)
        {
            float s = 0;
            for (int b = 0; b < batch; b++) s += d[b * outputs + o];
            db[o] = s;
        }
    }

    /// <summary>dz = dy · act′(y), act′ in terms of y. y, dy, dz (count); dz may be dy itself (each element is
    /// read before it is written).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void ActivationBackwardCore(BufferView<float> y, BufferView<float> dy, Activation activation,
        int count, BufferView<float> dz)
    {
        ReadOnlySpan<float> ys = y.Span(), dys = dy.Span();
        Span<float> dzs = dz.Span();
        if (activation == Activation.Identity)
        {
            dys.CopyTo(dzs); // CopyTo handles overlap, and is a no-op copy when dz is dy
            return;
        }
        int width = Vector<float>.Count, k = 0;
        var one = Vector<float>.One;
        for (; k + width <= count; k += width)
        {
            var yv = new Vector<float>(ys[k..]);
            var g = new Vector<float>(dys[k..]);
            var r = activation switch
            {
                Activation.Relu => Vector.ConditionalSelect(Vector.GreaterThan(yv, Vector<float>.Zero), g,
                    Vector<float>.Zero),
                Activation.Sigmoid => g * (yv * (one - yv)),
                _ => g * (one - yv * yv),
            };
            r.CopyTo(dzs[k..]);
        }
        for (; k < count; k++)
        {
            float yk = ys[k], g = dys[k];
            dzs[k] = activation switch
            {
                Activation.Relu => yk > 0 ? g : 0f,
                Activation.Sigmoid => g * (yk * (1 - yk)),
                _ => g * (1 - yk * yk),
            };
        }
    }
}
