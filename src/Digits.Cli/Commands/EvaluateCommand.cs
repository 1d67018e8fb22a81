using Digits.Cli.Verbs;
using Digits.Core.Data;
using Digits.Core.Model;
using Digits.Core.Training;

namespace Digits.Cli.Commands;

/// <summary><c>digits evaluate</c>: a saved model's test loss, accuracy and per-class accuracy.</summary>
internal sealed class EvaluateCommand(EvaluateVerb verb, TextWriter stdout, TextWriter stderr)
{
    public int Run()
    {
        var model = SavedModel.Load(verb.Model);
        var spec = SavedModel.Dataset(model, verb.Dataset);
        SavedModel.WarnIfOtherDataset(model, verb.Model, spec, stderr);
        var report = new Reporter(stdout, verb.Json, verb.Quiet);
        ulong seed = ulong.TryParse(model.Metadata.GetValueOrDefault("seed"), out var s) ? s : 1;
        var data = DataLoading.Load(spec, verb.Data, !verb.NoDownload, 0, seed, stderr, CancellationToken.None,
            DataLoading.Folders(verb.SkipBad, model, verb.Model));
        foreach (var note in data.Notes) report.Info($"data: {note}");
        var test = SavedModel.FittedTest(model, verb.Model, data.Test); // before a device is opened for nothing
        using var device = DeviceSelector.Open(verb.Device, verb.Threads);
        report.Info($"device: {device.Explanation}");
        report.Info($"model: {model.Spec} from {verb.Model}");
        Evaluation result;
        try
        {
            using var testData = new DeviceDataset(device.Backend, test);
            using var network = new InferenceNetwork(device.Backend, model, Trainer.EvaluationBatch);
            result = Evaluator.Evaluate(network, testData, withPredictions: true);
        }
        catch (Exception e) when (DeviceSelector.IsDeviceFailure(e))
        {
            stderr.WriteLine($"digits: {device.Backend.Name} failed during evaluation: {FlagNames.Speak(e.Message)}");
            return ExitCodes.RuntimeFailure;
        }
        var metrics = result.ClassMetrics();
        var confusion = result.ConfusionMatrix();
        if (report.Json)
        {
            report.Object(new
            {
                model = verb.Model, dataset = test.Name, images = result.Count, test_loss = result.Loss,
                test_accuracy = result.Accuracy,
                per_class = metrics.Select((c, k) => new
                {
                    @class = k, name = test.ClassNames[k], images = c.Support, accuracy = c.Recall,
                    precision = c.Precision, recall = c.Recall, f1 = c.F1,
                }),
                confusion_matrix = Enumerable.Range(0, test.Classes)
                    .Select(t => Enumerable.Range(0, test.Classes).Select(p => confusion[t, p]).ToArray()),
            });
            return ExitCodes.Success;
        }
        stdout.WriteLine($"test: {TerminalText.Escape(test.Name)}, {result.Count} images: loss {result.Loss:0.0000}, accuracy " +
                         $"{result.Accuracy:0.00%} ({result.Correct}/{result.Count})");
        if (!verb.Quiet) Tables.WriteEvaluation(stdout, test.ClassNames, metrics, confusion);
        return ExitCodes.Success;
    }
}
