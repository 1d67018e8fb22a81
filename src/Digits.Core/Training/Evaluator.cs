using Digits.Core.Backends;
using Digits.Core.Model;

namespace Digits.Core.Training;

/// <summary>Runs an <see cref="InferenceNetwork"/> (or the training <see cref="DeviceNetwork"/>) over a
/// <see cref="DeviceDataset"/> in chunks of its maximum batch.</summary>
public static class Evaluator
{
    /// <summary>
    /// Mean loss and correct count over every image of <paramref name="data"/>; the loss and count are
    /// accumulated on the device and read once. With <paramref name="withPredictions"/>, the argmax of
    /// every image is also read back (one int buffer of N allocated for it).
    /// </summary>
    public static Evaluation Evaluate(InferenceNetwork network, DeviceDataset data, bool withPredictions)
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
