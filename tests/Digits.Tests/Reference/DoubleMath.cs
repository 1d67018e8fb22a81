using Digits.Core.Backends;
using Digits.Core.Model;

namespace Digits.Tests.Reference;

/// <summary>
/// An independent double-precision statement of the forward formulas, used only as the function that
/// central differences differentiate. It shares no code with the backends.
/// </summary>
internal static class DoubleMath
{
    public static double Act(Activation a, double z) => a switch
    {
        Activation.Identity => z,
        Activation.Relu => Math.Max(0, z),
        Activation.Sigmoid => 1 / (1 + Math.Exp(-z)),
        Activation.Tanh => Math.Tanh(z),
        _ => throw new ArgumentOutOfRangeException(nameof(a)),
    };

    /// <summary>z[b,o] = bias[o] + Σᵢ x[b,i]·W[o,i] (no activation).</summary>
    public static double[] Linear(double[] x, double[] w, double[] bias, int batch, int inputs, int outputs)
    {
        var z = new double[batch * outputs];
        for (int b = 0; b < batch; b++)
            for (int o = 0; o < outputs; o++)
            {
                double s = bias[o];
                for (int i = 0; i < inputs; i++) s += x[b * inputs + i] * w[o * inputs + i];
                z[b * outputs + o] = s;
            }
        return z;
    }

    /// <summary>Σᵦ (log Σⱼ e^{zᵦⱼ} − zᵦ,yᵦ).</summary>
    public static double CrossEntropySum(double[] z, int[] labels, int classes)
    {
        double total = 0;
        for (int b = 0; b < labels.Length; b++)
        {
            double max = double.NegativeInfinity;
            for (int j = 0; j < classes; j++) max = Math.Max(max, z[b * classes + j]);
            double s = 0;
            for (int j = 0; j < classes; j++) s += Math.Exp(z[b * classes + j] - max);
            total += Math.Log(s) + max - z[b * classes + labels[b]];
        }
        return total;
    }

    /// <summary>Σᵦ ½‖σ(zᵦ) − onehot(yᵦ)‖².</summary>
    public static double QuadraticSum(double[] z, int[] labels, int classes)
    {
        double total = 0;
        for (int b = 0; b < labels.Length; b++)
            for (int j = 0; j < classes; j++)
            {
                double d = Act(Activation.Sigmoid, z[b * classes + j]) - (j == labels[b] ? 1 : 0);
                total += 0.5 * d * d;
            }
        return total;
    }

    /// <summary>Mean loss of a whole MLP over a batch, in double, from flat parameters in
    /// <see cref="ParameterLayout"/> order.</summary>
    public static double NetworkLoss(MlpSpec spec, double[] parameters, double[] x, int[] labels)
    {
        var layout = new ParameterLayout(spec);
        int batch = labels.Length;
        var a = x;
        for (int l = 0; l < spec.Layers; l++)
        {
            var w = parameters.AsSpan(layout.WeightOffset(l), layout.WeightLength(l)).ToArray();
            var b = parameters.AsSpan(layout.BiasOffset(l), layout.BiasLength(l)).ToArray();
            var z = Linear(a, w, b, batch, spec.Widths[l], spec.Widths[l + 1]);
            if (l == spec.Layers - 1)
                return (spec.Loss == LossKind.CrossEntropy
                    ? CrossEntropySum(z, labels, spec.Outputs)
                    : QuadraticSum(z, labels, spec.Outputs)) / batch;
            a = z.Select(v => Act(spec.Hidden, v)).ToArray();
        }
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Central difference (f(p+h) − f(p−h)) / 2h of <paramref name="f"/> at coordinate k.</summary>
    public static double Central(double[] point, int k, double h, Func<double[], double> f)
    {
        double saved = point[k];
        point[k] = saved + h;
        double plus = f(point);
        point[k] = saved - h;
        double minus = f(point);
        point[k] = saved;
        return (plus - minus) / (2 * h);
    }
}
