using Digits.Cli.Report;
using Digits.Cli.Verbs;
using Digits.Core.Data;
using Digits.Core.Model;

namespace Digits.Cli.Commands;

/// <summary><c>digits report --model PATH --out DIR</c>: the same report <c>train --report DIR</c> writes, from a
/// saved model (its history comes from the model's metadata).</summary>
internal sealed class ReportCommand(ReportVerb verb, TextWriter stdout, TextWriter stderr)
{
    public int Run()
    {
        var model = SavedModel.Load(verb.Model);
        var spec = SavedModel.Dataset(model, verb.Dataset);
        SavedModel.WarnIfOtherDataset(model, verb.Model, spec, stderr);
        ulong seed = ulong.TryParse(model.Metadata.GetValueOrDefault("seed"), out var s) ? s : 1;
        var data = DataLoading.Load(spec, verb.Data, !verb.NoDownload, 0, seed, stderr, CancellationToken.None);
        SavedModel.RequireFits(model, verb.Model, data.Test);
        using var device = DeviceSelector.Open(verb.Device, verb.Threads);
        string path = Write(device.Backend, model, Path.GetFileName(verb.Model), ReportData.HistoryFromMetadata(model), data.Test, verb.Out);
        stdout.WriteLine($"report written to {path}");
        return ExitCodes.Success;
    }

    /// <summary>Evaluates and writes the report; shared with <c>train --report</c>.</summary>
    public static string Write(Core.Backends.IBackend backend, MlpModel model, string name, IReadOnlyList<EpochPoint> history,
        Dataset test, string folder)
    {
        var (evaluation, probabilities) = ReportData.Evaluate(backend, model, test);
        try
        {
            return HtmlReport.Write(folder, new ReportData(name, model.Spec, history, evaluation, probabilities, test)
            {
                Settings = ReportData.SettingsFromMetadata(model.Metadata),
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--report/--out: cannot write {folder} ({e.Message})");
        }
    }
}
