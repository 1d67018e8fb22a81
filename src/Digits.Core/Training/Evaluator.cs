using Digits.Core.Backends;

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

/// <summary>Runs a <see cref="DeviceNetwork"/> over a <see cref="DeviceDataset"/> in chunks of its maximum batch.</summary>
public static class Evaluator
{
    /// <summary>
    /// Mean loss and correct count over every image of <paramref name="data"/>; the loss and count are
    /// accumulated on the device and read once. With <paramref name="withPredictions"/>, the argmax of
    /// every image is also read back (one int buffer of N allocated for it).
    /// </summary>
    public static Evaluation Evaluate(DeviceNetwork network, DeviceDataset data, bool withPredictions)
    {
        var backend = network.Backend;
        int n = data.Count, features = data.Features, classes = network.Spec.Outputs;
        DeviceBuffer<int>? predictions = withPredictions && n > 0 ? backend.Allocate<int>(n) : null;
        try
        {
            network.ResetMetrics();
            for (int start = 0; start < n; start += network.MaxBatch)
            {
                int batch = Math.Min(network.MaxBatch, n - start);
                network.Forward(data.Images.View(start * features, batch * features), batch);
                network.Loss(data.Labels.View(start, batch), batch, 0f);
                if (predictions is not null)
                    backend.Argmax(network.Outputs(batch), batch, classes, predictions.View(start, batch));
            }
            var loss = new float[1];
            var correct = new int[1];
            backend.Download(network.LossSum.View(), loss);
            backend.Download(network.Correct.View(), correct);
            int[]? predicted = null;
            if (withPredictions)
            {
                predicted = new int[n];
                if (predictions is not null) backend.Download(predictions.View(), predicted);
            }
            return new Evaluation(data.Source.Name, n, n == 0 ? 0 : loss[0] / (double)n, correct[0], predicted,
                data.Source.Labels, data.Source.ClassNames);
        }
        finally
        {
            predictions?.Dispose();
        }
    }
}
