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
        CheckFolder(verb.Out, "--out");
        var model = SavedModel.Load(verb.Model);
        var spec = SavedModel.Dataset(model, verb.Dataset);
        SavedModel.WarnIfOtherDataset(model, verb.Model, spec, stderr);
        ulong seed = ulong.TryParse(model.Metadata.GetValueOrDefault("seed"), out var s) ? s : 1;
        var data = DataLoading.Load(spec, verb.Data, !verb.NoDownload, 0, seed, stderr, CancellationToken.None,
            DataLoading.Folders(verb.SkipBad, model, verb.Model));
        foreach (var note in data.Notes) stdout.WriteLine($"data: {note}");
        var test = SavedModel.FittedTest(model, verb.Model, data.Test);
        using var device = DeviceSelector.Open(verb.Device, verb.Threads);
        string path = Write(device.Backend, model, Path.GetFileName(verb.Model), ReportData.HistoryFromMetadata(model), test, verb.Out);
        stdout.WriteLine(TerminalText.Escape($"report written to {path}"));
        return ExitCodes.Success;
    }

    /// <summary>Refuses, before any work, a report folder that is a file or whose <c>index.html</c> is not a regular
    /// file; what can only fail while writing (a full disk) is a runtime failure then.</summary>
    /// <exception cref="UsageException">the folder cannot take the report.</exception>
    public static void CheckFolder(string folder, string flag)
    {
        if (File.Exists(folder)) throw new UsageException($"{flag}: {folder} is a file; give a folder");
        string index = Path.Combine(folder, "index.html");
        if (OutputFile.NotARegularFile(index) is { } kind)
            throw new UsageException($"{flag}: {index} is {kind}, not a regular file; it is never replaced");
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
            // Found while writing, after the work: a runtime failure (exit 1), like a model that cannot be saved.
            string index = Path.Combine(folder, "index.html");
            throw new RuntimeFailureException($"could not write the report {index}: {OutputFile.Reason(e)}; " +
                                              (File.Exists(index) ? $"the previous {index} is intact" : "nothing was written there"));
        }
    }
}
