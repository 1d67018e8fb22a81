using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Digits.Cli.Verbs;
using Digits.Core.Backends;
using Digits.Core.Data;
using Digits.Core.Model;
using Digits.Core.Training;
using Digits.Imaging;

namespace Digits.Cli.Commands;

/// <summary>
/// <c>digits train</c>: the device chosen, the data, the model in one line, one line per epoch, then the test
/// result, total time and where the model was saved. The model file is written only after training succeeds,
/// atomically, so a failed or interrupted run never touches an existing one.
/// </summary>
internal sealed class TrainCommand(TrainVerb verb, TextWriter stdout, TextWriter stderr)
{
    private readonly Stopwatch _total = Stopwatch.StartNew();

    public int Run()
    {
        if (verb.Init is not null && verb.Resume is not null)
            throw new UsageException("--init cannot be used with --resume: a resumed run starts from its checkpoint");
        var resume = verb.Resume is { } resumeFolder ? CheckpointFolder.Load(resumeFolder, stderr) : null;
        var settings = Settings(resume);
        var init = verb.Init is { } initPath ? InitModel.Load(initPath) : null;
        if (init is not null) settings = settings.WithArchitectureOf(init.Model.Spec);
        var provenance = init?.Provenance() ?? InitModel.MetadataKeys.Where(k => resume?.Metadata.ContainsKey(k) == true)
            .ToDictionary(k => k, k => resume!.Metadata[k]);
        using var checkpoints = (verb.Checkpoint ?? verb.Resume) is { } folder
            ? CheckpointFolder.Open(folder, verb.Checkpoint is null ? "resume" : "checkpoint")
            : null;
        bool liveBar = !verb.Json && !verb.Quiet && ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;
        var bar = liveBar ? new LiveProgress() : null;
        // While the bar is on screen, lines go through Spectre's console so they print above it, not through it.
        var report = new Reporter(bar is null ? stdout : LiveProgress.Writer, verb.Json, verb.Quiet);
        using var interrupt = new InterruptSignal();
        using var device = DeviceSelector.Open(settings.Device, settings.Threads);
        bool kept = resume is not null && verb.Device is null && settings.Device is not null;
        report.Info($"device: {(kept ? $"{device.Backend.Description} — the device the resumed run ran on" : device.Explanation)}");
        settings = settings.OnDevice(device.Backend);
        var data = Data(settings, init, report, interrupt.Token);
        init?.RequireFits(data.Train, settings.Dataset);
        var model = StartingModel(settings, data, resume, init, report, checkpoints);
        var trainer = new Trainer(device.Backend, settings.Training)
        {
            Progress = bar is null ? null : bar.Update,
            SaveCheckpoint = checkpoints is null ? null : state => checkpoints.Save(state, CheckpointMetadata(settings, provenance),
                interrupt.Token.IsCancellationRequested, stderr),
        };
        trainer.EpochCompleted += r => report.Epoch(r, settings.Training.Epochs);
        trainer.Notice += n => stderr.WriteLine($"digits: {TerminalText.Escape(FlagNames.Speak(n))}");
        var result = Train(trainer, device.Backend, model, resume, data, settings.Output, bar, interrupt);
        if (result is null) return Interrupted(checkpoints, settings.Output);
        WarnIfNotLearning(result, data.Train.Classes, settings.Training.LearningRate);
        AddMetadata(result.Model, settings, data, result, device.Backend.Name);
        foreach (var (key, value) in provenance) result.Model.Metadata[key] = value;
        if (!Save(result.Model, settings.Output, checkpoints)) return ExitCodes.RuntimeFailure;
        if (checkpoints?.Summary() is { } missing) stderr.WriteLine($"digits: {TerminalText.Escape(missing)}");
        PrintResult(result, settings, data, resume, device.Backend, report);
        return ExitCodes.Success;
    }

    /// <summary>Settings: the flags resolved, or those a resumed run recorded (with the flags given now checked
    /// against them).</summary>
    /// <exception cref="UsageException">a flag is out of range, or the checkpoint disagrees with itself.</exception>
    private TrainSettings Settings(LoadedCheckpoint? resume)
    {
        var settings = resume is null
            ? TrainSettings.Resolve(verb)
            : TrainSettings.ForResume(verb, Path.GetFileName(resume.Path), resume.Metadata.GetValueOrDefault("settings"));
        if (verb.Report is { } reportFolder) ReportCommand.CheckFolder(reportFolder, "--report");
        if (resume is not null && resume.State.Options != settings.Training)
            throw new UsageException($"--resume: {Path.GetFileName(resume.Path)}: its recorded settings and its training " +
                                     "options disagree; the file is damaged (an older checkpoint may still be whole)");
        return settings;
    }

    /// <summary>Data: the splits loaded (downloaded when allowed) and described.</summary>
    private DatasetSplits Data(TrainSettings settings, InitModel? init, Reporter report, CancellationToken cancel)
    {
        var data = DataLoading.Load(settings.Dataset, verb.Data, !verb.NoDownload, settings.Validation,
            settings.Training.Seed, stderr, cancel, DataLoading.Folders(verb.SkipBad, init?.Model, init?.Path));
        if (settings.RejectClass) data = DataLoading.WithRejectClass(data, settings.Training.Seed);
        foreach (var note in data.Notes) report.Info($"data: {note}");
        report.Info($"data: {data.Train.Name} {data.Train.Count} images for training" +
                    (data.Validation is { } v ? $", {v.Count} for validation" : "") +
                    $", {data.Test.Name} {data.Test.Count} for testing");
        return data;
    }

    /// <summary>The model to start from (initialized, or the checkpoint's), and the lines that describe the run.</summary>
    /// <exception cref="UsageException">the checkpoint was made for another model or training set.</exception>
    private static MlpModel StartingModel(TrainSettings settings, DatasetSplits data, LoadedCheckpoint? resume,
        InitModel? init, Reporter report, CheckpointFolder? checkpoints)
    {
        var spec = settings.Spec(data.Train.Features, data.Train.Classes);
        var options = settings.Training;
        if (resume?.State is { } saved &&
            (saved.Model.Spec.ToString() != spec.ToString() || saved.TrainImages != data.Train.Count))
            throw new UsageException($"--resume: {Path.GetFileName(resume.Path)} was made for {saved.Model.Spec} on " +
                                     $"{saved.TrainImages} training images; {settings.Dataset} now gives {spec} on " +
                                     $"{data.Train.Count}");
        var model = resume?.State.Model ?? init?.Start() ?? MlpModel.Initialize(spec, options.Seed);
        report.Info($"model: {spec}, {model.Layout.Count:N0} parameters" +
                    (settings.Preset is { } p ? $" (preset {p})" : "") +
                    (init is null ? "" : $", fine-tuning {init.Path} (SHA-256 {init.Sha256[..12]}…)"));
        report.Info($"training: {OptionsText.Describe(options)}, {OptionsText.Plural(options.Epochs, "epoch")}, " +
                    $"mini-batch {options.BatchSize}, seed {options.Seed}");
        if (resume is not null) report.Info($"resuming: from {resume.Path}, {resume.State.Position}");
        if (checkpoints is not null) report.Info($"checkpoints: after every epoch into {checkpoints.Path}");
        return model;
    }

    /// <summary>What a checkpoint records beside the training state, for <c>--resume</c>.</summary>
    private static Dictionary<string, string> CheckpointMetadata(TrainSettings settings,
        Dictionary<string, string> provenance) => new(provenance)
    {
        ["settings"] = settings.ToFlagsJson(), ["dataset"] = settings.Dataset.ToString()!,
    };

    /// <summary>Run: trains (or resumes) with the bar on screen when there is one; null when interrupted.</summary>
    /// <exception cref="UsageException">the run does not fit one buffer (before training starts).</exception>
    /// <exception cref="RuntimeFailureException">training diverged or the device failed; no model was saved.</exception>
    private static TrainingResult? Train(Trainer trainer, IBackend backend, MlpModel model, LoadedCheckpoint? resume,
        DatasetSplits data, string output, LiveProgress? bar, InterruptSignal interrupt)
    {
        try
        {
            TrainingResult Go() => resume is null
                ? trainer.Train(model, data.Train, data.Validation, data.Test, interrupt.Token)
                : trainer.Resume(resume.State, data.Train, data.Validation, data.Test, interrupt.Token);
            return bar is null ? Go() : bar.Run(Go);
        }
        catch (OperationCanceledException) when (interrupt.Token.IsCancellationRequested)
        {
            return null;
        }
        catch (ArgumentException e) when (trainer.Phase.StartsWith("uploading", StringComparison.Ordinal))
        {
            throw new UsageException(e.Message);
        }
        catch (TrainingDivergedException e)
        {
            string lower = e.SuggestedLearningRate.ToString("g3", CultureInfo.InvariantCulture);
            throw new RuntimeFailureException($"{e.Description}; try a smaller {Lr} (e.g. {Lr} {lower}); no model was " +
                                              $"saved{Unchanged(output)}");
        }
        catch (Exception e) when (DeviceSelector.IsDeviceFailure(e))
        {
            throw new RuntimeFailureException($"{backend.Name} failed in {trainer.Phase}: {e.Message}; no model was " +
                                              $"saved{Unchanged(output)}");
        }
    }

    private static string Lr => FlagNames.For<TrainingOptions>(nameof(TrainingOptions.LearningRate));

    /// <summary>For failure messages: an existing model file is never touched by a run that does not finish.</summary>
    private static string Unchanged(string output) => File.Exists(output) ? $" ({output} is unchanged)" : "";

    private int Interrupted(CheckpointFolder? checkpoints, string output)
    {
        if (checkpoints?.InterruptCheckpoint is var (file, position))
        {
            stderr.WriteLine(TerminalText.Escape($"digits: interrupted {position}; checkpoint saved to {file}; no model " +
                                                 $"was saved{Unchanged(output)}"));
            stderr.WriteLine(TerminalText.Escape($"digits: resume with: {checkpoints.ResumeCommand}"));
        }
        else
            stderr.WriteLine(TerminalText.Escape($"digits: interrupted; no model was saved{Unchanged(output)}" +
                                                 (checkpoints is null ? " (train with --checkpoint DIR to be able to resume)" : "")));
        return ExitCodes.Interrupted;
    }

    /// <summary>Save: writes the model atomically; false (with the reason and what is left) when the disk refused.</summary>
    private bool Save(MlpModel trained, string output, CheckpointFolder? checkpoints)
    {
        try
        {
            ModelFile.Save(output, trained);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Checked before training (folder, name, file kind), so what is left is the disk itself: full, or gone.
            stderr.WriteLine(TerminalText.Escape($"digits: could not write the trained model to {Path.GetFullPath(output)}: " +
                                                 $"{OutputFile.Reason(e)}; " + (File.Exists(output)
                                                     ? $"the previous {output} is intact" : "no model was saved")));
            if (checkpoints?.Written > 0)
                stderr.WriteLine(TerminalText.Escape($"digits: the run is checkpointed in {checkpoints.Path}: " +
                                                     $"{checkpoints.ResumeCommand} --output FILE finishes from there " +
                                                     "and saves the model elsewhere"));
            return false;
        }
    }

    /// <summary>Report: the test result, the times and where the model (and the HTML report) went.</summary>
    private void PrintResult(TrainingResult result, TrainSettings settings, DatasetSplits data, LoadedCheckpoint? resume,
        IBackend backend, Reporter report)
    {
        var test = result.Test;
        string? reportPath = verb.Report is null ? null : ReportCommand.Write(backend, result.Model,
            Path.GetFileName(settings.Output), Report.ReportData.HistoryFromReports(result.History), data.Test, verb.Report);
        string saved = Path.GetFullPath(settings.Output);
        if (report.Json)
        {
            report.Object(new
            {
                summary = true, test_loss = test.Loss, test_accuracy = test.Accuracy, seconds = result.TrainingSeconds,
                total_seconds = _total.Elapsed.TotalSeconds,
                images_per_second = data.Train.Count * (double)settings.Training.Epochs / result.TrainingSeconds,
                epochs = settings.Training.Epochs, device = backend.Name, model = saved,
            });
            return;
        }
        stdout.WriteLine($"test: loss {test.Loss:0.0000}, accuracy {test.Accuracy:0.00%} ({test.Correct}/{test.Count})");
        string before = resume is null
            ? "" : $", {resume.State.TrainingSeconds + resume.State.EpochSeconds:0.0} s of it before resuming";
        stdout.WriteLine(TerminalText.Escape($"total {_total.Elapsed.TotalSeconds:0.0} s (training {result.TrainingSeconds:0.0} " +
                                             $"s{before}); model saved to {saved}" +
                                             (reportPath is null ? "" : $"; report in {reportPath}")));
    }

    /// <summary>A finite loss is not always a healthy one: a learning rate a little too high leaves the loss rising
    /// or the model at chance. The model is still saved (it is what was asked for), with a warning.</summary>
    private void WarnIfNotLearning(TrainingResult result, int classes, float learningRate)
    {
        var h = result.History;
        bool rising = h.Count >= 2 && h[^1].TrainLoss > h[0].TrainLoss;
        bool chance = result.Test.Accuracy < 1.5 / classes;
        if (!rising && !chance) return;
        string lr = learningRate.ToString("g3", CultureInfo.InvariantCulture);
        string lower = (learningRate / 10).ToString("g3", CultureInfo.InvariantCulture);
        stderr.WriteLine($"digits: warning: training did not converge (train loss {h[0].TrainLoss:0.####} in epoch 1, " +
                         $"{h[^1].TrainLoss:0.####} in epoch {h[^1].Epoch}; test accuracy {result.Test.Accuracy:0.00%}, " +
                         $"chance is {1.0 / classes:0%}); {Lr} {lr} may be too high: try {Lr} {lower}");
    }

    private static void AddMetadata(MlpModel model, TrainSettings s, DatasetSplits data, TrainingResult result,
        string device)
    {
        var o = s.Training;
        var m = model.Metadata;
        m["dataset"] = s.Dataset.ToString()!;
        m["class_names"] = JsonSerializer.Serialize(data.Train.ClassNames);
        m["input_shape"] = $"{data.Train.Height},{data.Train.Width}";
        m["normalization"] = "pixel / 255 as float32 in [0, 1], row-major, no mean or std shift";
        m["seed"] = o.Seed.ToString(CultureInfo.InvariantCulture);
        m["epochs"] = o.Epochs.ToString(CultureInfo.InvariantCulture);
        m["batch_size"] = o.BatchSize.ToString(CultureInfo.InvariantCulture);
        m["optimizer"] = OptionsText.Describe(o);
        m["validation"] = s.Validation.ToString(CultureInfo.InvariantCulture);
        m["device"] = device;
        m["training_seconds"] = result.TrainingSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        m["test_accuracy"] = result.Test.Accuracy.ToString("R", CultureInfo.InvariantCulture);
        m["test_loss"] = result.Test.Loss.ToString("R", CultureInfo.InvariantCulture);
        m["history"] = JsonSerializer.Serialize(result.History.Select(r => new Dictionary<string, double?>
        {
            ["epoch"] = r.Epoch, ["train_loss"] = r.TrainLoss, ["train_accuracy"] = r.TrainAccuracy,
            ["validation_loss"] = r.ValidationLoss, ["validation_accuracy"] = r.ValidationAccuracy,
            ["test_loss"] = r.TestLoss, ["test_accuracy"] = r.TestAccuracy, ["seconds"] = r.Seconds,
        }));
        m["created"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        if (s.Preset is { } p) m["preset"] = p;
        if (s.RejectClass) m["reject_examples"] = NotADigit.ExamplesIn(data.Train).ToString(CultureInfo.InvariantCulture);
    }
}
