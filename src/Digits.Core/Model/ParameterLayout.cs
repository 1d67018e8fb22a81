using Digits.Core.Backends;

namespace Digits.Core.Model;

/// <summary>
/// Where each parameter lives in the one flat parameter buffer (and, identically, the flat gradient and
/// optimizer-state buffers): all weights first, layer by layer, each (Out, In) row-major, then all biases.
/// Weights form the prefix [0, <see cref="WeightCount"/>), which is the span weight decay applies to, so
/// one optimizer launch covers every parameter.
/// </summary>
public sealed class ParameterLayout
{
    private readonly int[] _weightOffsets;
    private readonly int[] _biasOffsets;

    /// <exception cref="OverflowException">more than 2³¹ − 1 parameters.</exception>
    public ParameterLayout(MlpSpec spec)
    {
        Spec = spec;
        _weightOffsets = new int[spec.Layers];
        _biasOffsets = new int[spec.Layers];
        long offset = 0;
        for (int l = 0; l < spec.Layers; l++)
        {
            _weightOffsets[l] = checked((int)offset);
            offset += (long)spec.Widths[l] * spec.Widths[l + 1];
        }
        WeightCount = checked((int)offset);
        for (int l = 0; l < spec.Layers; l++)
        {
            _biasOffsets[l] = checked((int)offset);
            offset += spec.Widths[l + 1];
        }
        Count = checked((int)offset);
    }

    public MlpSpec Spec { get; }

    /// <summary>Total parameters.</summary>
    public int Count { get; }

    /// <summary>Parameters that are weights (the decayed prefix).</summary>
    public int WeightCount { get; }

    public int WeightOffset(int layer) => _weightOffsets[layer];
    public int WeightLength(int layer) => Spec.Widths[layer] * Spec.Widths[layer + 1];
    public int BiasOffset(int layer) => _biasOffsets[layer];
    public int BiasLength(int layer) => Spec.Widths[layer + 1];

    /// <summary>Layer <paramref name="layer"/>'s weight (O, I) inside a flat buffer.</summary>
    public BufferView<float> Weight(BufferView<float> flat, int layer) =>
        flat.Slice(WeightOffset(layer), WeightLength(layer));

    /// <summary>Layer <paramref name="layer"/>'s bias (O) inside a flat buffer.</summary>
    public BufferView<float> Bias(BufferView<float> flat, int layer) => flat.Slice(BiasOffset(layer), BiasLength(layer));

    /// <summary>Tensor names as saved in model files: "layers.{l}.weight" and "layers.{l}.bias".</summary>
    public static string WeightName(int layer) => $"layers.{layer}.weight";

    public static string BiasName(int layer) => $"layers.{layer}.bias";
}
