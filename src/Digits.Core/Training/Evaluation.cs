namespace Digits.Core.Training;

/// <summary>Loss and accuracy of a model on a dataset; with predictions, also per-class figures.</summary>
public sealed record Evaluation(string Name, int Count, double Loss, int Correct, int[]? Predictions, int[] Labels,
    IReadOnlyList<string> ClassNames)
{
    /// <summary>Fraction of images classified correctly, in [0, 1].</summary>
    public double Accuracy => Count == 0 ? 0 : (double)Correct / Count;

    /// <summary>Confusion matrix: [true class, predicted class] → images. Needs <see cref="Predictions"/>.</summary>
    public int[,] ConfusionMatrix()
    {
        if (Predictions is null) throw new InvalidOperationException("evaluation ran without predictions");
        var matrix = new int[ClassNames.Count, ClassNames.Count];
        for (int k = 0; k < Labels.Length; k++) matrix[Labels[k], Predictions[k]]++;
        return matrix;
    }

    /// <summary>Per class: precision = TP/(TP+FP), recall = TP/(TP+FN), F1 = their harmonic mean (0 where a
    /// denominator is 0, as scikit-learn's zero_division=0), and support = images of the class.</summary>
    public (double Precision, double Recall, double F1, int Support)[] ClassMetrics()
    {
        var m = ConfusionMatrix();
        int n = ClassNames.Count;
        var result = new (double, double, double, int)[n];
        for (int c = 0; c < n; c++)
        {
            int tp = m[c, c], predicted = 0, actual = 0;
            for (int k = 0; k < n; k++) { predicted += m[k, c]; actual += m[c, k]; }
            double precision = predicted == 0 ? 0 : (double)tp / predicted, recall = actual == 0 ? 0 : (double)tp / actual;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            result[c] = (precision, recall, f1, actual);
        }
        return result;
    }

    /// <summary>Per class: (images of that class, of which correct). Needs <see cref="Predictions"/>.</summary>
    public (int Total, int Correct)[] PerClass()
    {
        if (Predictions is null) throw new InvalidOperationException("evaluation ran without predictions");
        var result = new (int Total, int Correct)[ClassNames.Count];
        for (int k = 0; k < Labels.Length; k++)
        {
            result[Labels[k]].Total++;
            if (Predictions[k] == Labels[k]) result[Labels[k]].Correct++;
        }
        return result;
    }
}
