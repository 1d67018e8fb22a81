using Digits.Core.Backends;
using Digits.Core.Training;

namespace Digits.Core.Model;

/// <summary>
/// A trained or freshly initialized MLP on the host: its <see cref="MlpSpec"/>, the flat parameters in
/// <see cref="ParameterLayout"/> order, and string metadata saved with it.
/// </summary>
public sealed class MlpModel
{
    /// <exception cref="ArgumentException">the parameter count does not match the spec.</exception>
    public MlpModel(MlpSpec spec, float[] parameters, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Layout = new ParameterLayout(spec);
        if (parameters.Length != Layout.Count)
            throw new ArgumentException($"{spec} has {Layout.Count} parameters, got {parameters.Length}",
                nameof(parameters));
        Parameters = parameters;
        Metadata = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>());
    }

    public MlpSpec Spec => Layout.Spec;
    public ParameterLayout Layout { get; }

    /// <summary>Flat parameters, weights first (see <see cref="ParameterLayout"/>).</summary>
    public float[] Parameters { get; }

    /// <summary>Free-form metadata (architecture, dataset, accuracy, …) saved in the model file.</summary>
    public Dictionary<string, string> Metadata { get; }

    /// <summary>
    /// Weights drawn for <paramref name="spec"/>'s hidden activation: He normal, N(0, 2/fan_in), for ReLU
    /// (He et al. 2015, "Delving Deep into Rectifiers"); Glorot uniform, U(±√(6/(fan_in+fan_out))), for
    /// sigmoid and tanh (Glorot &amp; Bengio 2010). Biases zero. Deterministic in <paramref name="seed"/>.
    /// </summary>
    public static MlpModel Initialize(MlpSpec spec, ulong seed)
    {
        var layout = new ParameterLayout(spec);
        var parameters = new float[layout.Count];
        var random = SeededRandom.ForPurpose(seed, "weights");
        for (int l = 0; l < spec.Layers; l++)
        {
            int fanIn = spec.Widths[l], fanOut = spec.Widths[l + 1];
            var w = parameters.AsSpan(layout.WeightOffset(l), layout.WeightLength(l));
            if (spec.Hidden == Activation.Relu)
            {
                double std = Math.Sqrt(2.0 / fanIn);
                for (int k = 0; k < w.Length; k++) w[k] = (float)(std * random.NextGaussian());
            }
            else
            {
                double limit = Math.Sqrt(6.0 / (fanIn + fanOut));
                for (int k = 0; k < w.Length; k++) w[k] = (float)((2 * random.NextDouble() - 1) * limit);
            }
        }
        return new MlpModel(spec, parameters);
    }

    public override string ToString() => Spec.ToString();
}
