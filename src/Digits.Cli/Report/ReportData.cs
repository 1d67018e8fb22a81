using System.Text.Json;
using Digits.Core.Backends;
using Digits.Core.Data;
using Digits.Core.Model;
using Digits.Core.Training;

namespace Digits.Cli.Report;

/// <summary>Everything a report shows: the model, its history, and its evaluation on the test set with per-image
/// probabilities (N rows of C) for the gallery of mistakes.</summary>
internal sealed record ReportData(string ModelName, MlpSpec Spec, IReadOnlyList<EpochPoint> History, Evaluation Test,
    float[][] Probabilities, Dataset TestSet)
{
    /// <summary>The training settings shown in the report, as (label, value) rows in display order.</summary>
    public IReadOnlyList<(string Label, string Value)> Settings { get; init; } = [];

    /// <summary>The settings <c>digits train</c> records in a model's metadata, labelled for people; absent ones
    /// (models from older versions) are left out.</summary>
    public static IReadOnlyList<(string Label, string Value)> SettingsFromMetadata(IReadOnlyDictionary<string, string> m)
    {
        var rows = new List<(string, string)>();
        void Add(string label, string key, Func<string, string>? format = null)
        {
            if (m.TryGetValue(key, out string? v) && v.Length > 0) rows.Add((label, format is null ? v : format(v)));
        }
        Add("dataset", "dataset");
        Add("preset", "preset");
        Add("optimizer", "optimizer"); // with learning rate, schedule and weight decay
        Add("epochs", "epochs");
        Add("mini-batch", "batch_size");
        Add("validation images", "validation");
        Add("reject class", "reject_examples", v => $"{v} examples added (--reject-class)");
        Add("seed", "seed");
        Add("device", "device");
        Add("training time", "training_seconds", v => $"{v} s");
        Add("created", "created");
        return rows;
    }

    /// <summary>The history saved in a model file's metadata ("history", a JSON array written by digits train).</summary>
    public static IReadOnlyList<EpochPoint> HistoryFromMetadata(MlpModel model)
    {
        if (!model.Metadata.TryGetValue("history", out string? json)) return [];
        try
        {
            var rows = JsonSerializer.Deserialize<List<Dictionary<string, double?>>>(json) ?? [];
            return rows.Select(r => new EpochPoint((int)(r.GetValueOrDefault("epoch") ?? 0), r.GetValueOrDefault("train_loss") ?? double.NaN,
                r.GetValueOrDefault("train_accuracy") ?? double.NaN, r.GetValueOrDefault("validation_loss"),
                r.GetValueOrDefault("validation_accuracy"), r.GetValueOrDefault("test_loss") ?? double.NaN,
                r.GetValueOrDefault("test_accuracy") ?? double.NaN)).ToList();
        }
        catch (JsonException)
        {
            return [];
        }
    }

    public static IReadOnlyList<EpochPoint> HistoryFromReports(IEnumerable<EpochReport> reports) =>
        reports.Select(r => new EpochPoint(r.Epoch, r.TrainLoss, r.TrainAccuracy, r.ValidationLoss, r.ValidationAccuracy,
            r.TestLoss, r.TestAccuracy)).ToList();

    /// <summary>Evaluates <paramref name="model"/> on <paramref name="test"/> on <paramref name="backend"/>, with
    /// predictions and each image's class probabilities
    /// (<see cref="InferenceNetwork.Probabilities(BufferView{float}, int)"/>).</summary>
    public static (Evaluation, float[][]) Evaluate(IBackend backend, MlpModel model, Dataset test)
    {
        using var data = new DeviceDataset(backend, test);
        using var network = new InferenceNetwork(backend, model, Trainer.EvaluationBatch);
        var evaluation = Evaluator.Evaluate(network, data, withPredictions: true);
        return (evaluation, network.Probabilities(data.Images.View(), test.Count));
    }
}
