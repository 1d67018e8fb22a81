namespace Digits.Core.Backends;

/// <summary>The cost the network is trained on.</summary>
public enum LossKind
{
    /// <summary>Softmax over the logits then cross-entropy, as a numerically stable log-softmax.</summary>
    CrossEntropy = 0,

    /// <summary>Sigmoid outputs with the quadratic cost ½‖a − t‖² (Nielsen, "Neural Networks and Deep
    /// Learning", ch. 1).</summary>
    Quadratic = 1,
}
