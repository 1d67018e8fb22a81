namespace Digits.Core.Backends;

/// <summary>
/// Element-wise activation applied after a dense layer. The numeric values are part of the kernel ABI
/// (kernels receive them as an int), so they never change.
/// </summary>
public enum Activation
{
    /// <summary>y = z (the output layer under softmax + cross-entropy: its outputs are the logits).</summary>
    Identity = 0,

    /// <summary>y = max(0, z); dy/dz = 1 where y &gt; 0, else 0.</summary>
    Relu = 1,

    /// <summary>y = 1 / (1 + e^−z); dy/dz = y·(1 − y).</summary>
    Sigmoid = 2,

    /// <summary>y = tanh(z); dy/dz = 1 − y².</summary>
    Tanh = 3,
}

/// <summary>Parsing and naming of <see cref="Activation"/> and <see cref="LossKind"/> as the CLI and model files
/// spell them.</summary>
public static class ActivationNames
{
    /// <summary>"relu", "sigmoid", "tanh", "identity".</summary>
    public static string Name(this Activation activation) => activation switch
    {
        Activation.Identity => "identity",
        Activation.Relu => "relu",
        Activation.Sigmoid => "sigmoid",
        Activation.Tanh => "tanh",
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };

    /// <summary>"cross-entropy" or "mse".</summary>
    public static string Name(this LossKind loss) => loss switch
    {
        LossKind.CrossEntropy => "cross-entropy",
        LossKind.Quadratic => "mse",
        _ => throw new ArgumentOutOfRangeException(nameof(loss), loss, null),
    };

    /// <summary>Parses an activation name, case-insensitively.</summary>
    public static bool TryParseActivation(string text, out Activation activation)
    {
        foreach (var a in Enum.GetValues<Activation>())
            if (string.Equals(a.Name(), text, StringComparison.OrdinalIgnoreCase)) { activation = a; return true; }
        activation = default;
        return false;
    }

    /// <summary>Parses "cross-entropy" (or "ce") and "mse" (or "quadratic").</summary>
    public static bool TryParseLoss(string text, out LossKind loss)
    {
        switch (text.ToLowerInvariant())
        {
            case "cross-entropy" or "crossentropy" or "ce": loss = LossKind.CrossEntropy; return true;
            case "mse" or "quadratic": loss = LossKind.Quadratic; return true;
            default: loss = default; return false;
        }
    }
}
