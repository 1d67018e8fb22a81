using Digits.Core.Backends;

namespace Digits.Core.Model;

/// <summary>Class probabilities from a network's outputs, as <c>predict</c>, <c>serve</c> and the library report
/// them.</summary>
public static class OutputProbabilities
{
    /// <summary>Softmax of the logits (cross-entropy models, stable: the largest logit is subtracted first); for a
    /// quadratic-cost model, its sigmoid outputs divided by their sum. outputs (C) → probabilities (C), summing to 1
    /// (uniform when every output is 0).</summary>
    public static float[] From(ReadOnlySpan<float> outputs, LossKind loss)
    {
        var p = new float[outputs.Length];
        if (loss == LossKind.CrossEntropy)
        {
            float max = float.NegativeInfinity;
            foreach (float v in outputs) max = Math.Max(max, v);
            for (int c = 0; c < p.Length; c++) p[c] = MathF.Exp(outputs[c] - max);
        }
        else
            for (int c = 0; c < p.Length; c++) p[c] = Math.Max(outputs[c], 0);
        float sum = p.Sum();
        for (int c = 0; c < p.Length; c++) p[c] = sum > 0 ? p[c] / sum : 1f / p.Length;
        return p;
    }
}
