using Digits.Core.Backends;

namespace Digits.Core.Model;

/// <summary>
/// The architecture of a multilayer perceptron: layer widths from the input to the output
/// (e.g. [784, 256, 10]), the hidden layers' activation, and the loss (which fixes the output layer's
/// activation: identity logits under cross-entropy, sigmoid under the quadratic cost).
/// </summary>
public sealed record MlpSpec
{
    /// <exception cref="ArgumentException">fewer than two widths, a width below 1, or an unknown activation or
    /// loss.</exception>
    public MlpSpec(IReadOnlyList<int> widths, Activation hidden, LossKind loss)
    {
        if (widths.Count < 2)
            throw new ArgumentException("an MLP needs at least an input and an output width", nameof(widths));
        for (int k = 0; k < widths.Count; k++)
            if (widths[k] < 1)
                throw new ArgumentException($"layer width {widths[k]} at position {k} must be at least 1", nameof(widths));
        if (hidden == Activation.Identity || !Enum.IsDefined(hidden))
            throw new ArgumentException($"hidden activation must be relu, sigmoid or tanh, not {hidden}", nameof(hidden));
        if (!Enum.IsDefined(loss)) throw new ArgumentException($"unknown loss {loss}", nameof(loss));
        Widths = widths.ToArray();
        Hidden = hidden;
        Loss = loss;
    }

    /// <summary>Widths from input to output; layer l maps Widths[l] → Widths[l+1].</summary>
    public IReadOnlyList<int> Widths { get; }

    public Activation Hidden { get; }
    public LossKind Loss { get; }

    public int Inputs => Widths[0];
    public int Outputs => Widths[^1];

    /// <summary>Number of dense layers (widths − 1).</summary>
    public int Layers => Widths.Count - 1;

    /// <summary>The activation after layer <paramref name="layer"/> (0-based).</summary>
    public Activation ActivationOf(int layer) => layer < Layers - 1
        ? Hidden
        : Loss == LossKind.CrossEntropy ? Activation.Identity : Activation.Sigmoid;

    /// <summary>Multiply-adds of one image's forward pass: Σ In·Out.</summary>
    public long MultiplyAddsPerImage
    {
        get
        {
            long total = 0;
            for (int l = 0; l < Layers; l++) total += (long)Widths[l] * Widths[l + 1];
            return total;
        }
    }

    public bool Equals(MlpSpec? other) => other is not null && Widths.SequenceEqual(other.Widths) &&
                                          Hidden == other.Hidden && Loss == other.Loss;

    public override int GetHashCode() => HashCode.Combine(string.Join(',', Widths), Hidden, Loss);

    /// <summary>Reads like <c>Mlp[784→256→10, relu]</c> (with ", mse" appended under the quadratic cost).</summary>
    public override string ToString() =>
        $"Mlp[{string.Join('→', Widths)}, {Hidden.Name()}{(Loss == LossKind.Quadratic ? ", mse" : "")}]";
}
