using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Digits.Cli.Verbs;
using Digits.Core.Data;
using Digits.Core.Model;
using Digits.Core.Training;

namespace Digits.Cli.Commands;

/// <summary>
/// <c>digits train</c>: the device chosen, the data, the model in one line, one line per epoch, then the test
/// result, total time and where the model was saved. The model file is written only after training succeeds,
/// atomically, so a failed or interrupted run never touches an existing one.
/// </summary>
internal sealed class TrainCommand(TrainVerb verb, TextWriter stdout, TextWriter stderr)
{
    public int Run()
    {
        var total = Stopwatch.StartNew();
        var resume = verb.Resume is { } resumeDir ? CheckpointFolder.Load(resumeDir, stderr) : null;
        var settings = resume is null
            ? TrainSettings.Resolve(verb)
            : TrainSettings.ForResume(verb, Path.GetFileName(resume.Path), resume.Metadata.GetValueOrDefault("settings"));
        if (verb.Report is { } reportFolder) ReportCommand.CheckFolder(reportFolder, "--report");
        if (resume is not null && resume.State.Options != settings.Training)
            throw new UsageException($"--resume: {Path.GetFileName(resume.Path)}: its recorded settings and its training " +
                                     "options disagree; the file is damaged (an older checkpoint may still be whole)");
        using var checkpoints = (verb.Checkpoint ?? verb.Resume) is { } checkpointDir
            ? CheckpointFolder.Open(checkpointDir, verb.Checkpoint is null ? "resume" : "checkpoint")
            : null;
        bool liveBar = !verb.Json && !verb.Quiet && ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;
        var bar = liveBar ? new LiveProgress() : null;
        // While the bar is on screen, lines go through Spectre's console so they print above it, not through it.
        var report = new Reporter(bar is null ? stdout : LiveProgress.Writer, verb.Json, verb.Quiet);
        using var interrupt = new InterruptSignal();
        using var device = DeviceSelector.Open(verb.Device, verb.Threads);
        report.Info($"device: {device.Explanation}");
        var data = DataLoading.Load(settings.Dataset, verb.Data, !verb.NoDownload, settings.Validation,
            settings.Training.Seed, stderr, interrupt.Token);
        foreach (var note in data.Notes) report.Info($"data: {note}");
        report.Info($"data: {data.Train.Name} {data.Train.Count} images for training" +
                    (data.Validation is { } v ? $", {v.Count} for validation" : "") +
                    $", {data.Test.Name} {data.Test.Count} for testing");
        var spec = settings.Spec(data.Train.Features, data.Train.Classes);
        var options = settings.Training;
        if (resume is not null)
        {
            var saved = resume.State;
            if (saved.Model.Spec.ToString() != spec.ToString() || saved.TrainImages != data.Train.Count)
                throw new UsageException($"--resume: {Path.GetFileName(resume.Path)} was made for {saved.Model.Spec} on " +
                                         $"{saved.TrainImages} training images; {settings.Dataset} now gives {spec} on " +
                                         $"{data.Train.Count}");
        }
        var model = resume?.State.Model ?? MlpModel.Initialize(spec, options.Seed);
        report.Info($"model: {spec}, {model.Layout.Count:N0} parameters" +
                    (settings.Preset is { } p ? $" (preset {p})" : ""));
        report.Info($"training: {Describe(options)}, {Plural(options.Epochs, "epoch")}, mini-batch {options.BatchSize}, " +
                    $"seed {options.Seed}");
        if (resume is not null)
            report.Info($"resuming: from {resume.Path}, {resume.State.Position}");
        if (checkpoints is not null)
            report.Info($"checkpoints: after every epoch into {checkpoints.Path}");
        var checkpointMetadata = new Dictionary<string, string>
        {
            ["settings"] = settings.ToFlagsJson(), ["dataset"] = settings.Dataset.ToString()!,
        };
        var trainer = new Trainer(device.Backend, options)
        {
            Progress = bar is null ? null : bar.Update,
            SaveCheckpoint = checkpoints is null ? null : state =>
                checkpoints.Save(state, checkpointMetadata, interrupt.Token.IsCancellationRequested, stderr),
        };
        trainer.EpochCompleted += r => report.Epoch(r, options.Epochs);
        trainer.Notice += n => stderr.WriteLine($"digits: {n}");
        // For failure messages: an existing model file is never touched by a run that does not finish.
        string Unchanged() => File.Exists(settings.Output) ? $" ({settings.Output} is unchanged)" : "";
        TrainingResult result;
        try
        {
            TrainingResult Go() => resume is null
                ? trainer.Train(model, data.Train, data.Validation, data.Test, interrupt.Token)
                : trainer.Resume(resume.State, data.Train, data.Validation, data.Test, interrupt.Token);
            result = bar is null ? Go() : bar.Run(Go);
        }
        catch (OperationCanceledException) when (interrupt.Token.IsCancellationRequested)
        {
            if (checkpoints?.InterruptCheckpoint is var (file, position))
            {
                stderr.WriteLine($"digits: interrupted {position}; checkpoint saved to {file}; no model was saved{Unchanged()}");
                stderr.WriteLine($"digits: resume with: {checkpoints.ResumeCommand}");
            }
            else
                stderr.WriteLine($"digits: interrupted; no model was saved{Unchanged()}" +
                                 (checkpoints is null ? " (train with --checkpoint DIR to be able to resume)" : ""));
            return ExitCodes.Interrupted;
        }
        catch (ArgumentException e) when (trainer.Phase.StartsWith("uploading", StringComparison.Ordinal))
        {
            throw new UsageException(e.Message.Split(" (Parameter")[0]);
        }
        catch (TrainingDivergedException e)
        {
            stderr.WriteLine($"digits: {e.Message}; no model was saved{Unchanged()}");
            return ExitCodes.RuntimeFailure;
        }
        catch (Exception e) when (DeviceSelector.IsDeviceFailure(e))
        {
            stderr.WriteLine($"digits: {device.Backend.Name} failed in {trainer.Phase}: {e.Message}; no model was saved{Unchanged()}");
            return ExitCodes.RuntimeFailure;
        }
        var test = result.Test;
        var trained = result.Model;
        WarnIfNotLearning(result, data.Train.Classes, options.LearningRate);
        AddMetadata(trained, settings, data, result, device.Backend.Name);
        try
        {
            ModelFile.Save(settings.Output, trained);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Checked before training (folder, name, file kind), so what is left is the disk itself: full, or gone.
            stderr.WriteLine($"digits: could not write the trained model to {Path.GetFullPath(settings.Output)}: " +
                             $"{OutputFile.Reason(e)}; " + (File.Exists(settings.Output)
                                 ? $"the previous {settings.Output} is intact" : "no model was saved"));
            if (checkpoints?.Written > 0)
                stderr.WriteLine($"digits: the run is checkpointed in {checkpoints.Path}: {checkpoints.ResumeCommand} " +
                                 "--output FILE finishes from there and saves the model elsewhere");
            return ExitCodes.RuntimeFailure;
        }
        if (checkpoints?.Summary() is { } missing) stderr.WriteLine($"digits: {missing}");
        string accuracy = $"{test.Accuracy:0.00%} ({test.Correct}/{test.Count})";
        string? reportPath = verb.Report is null ? null : ReportCommand.Write(device.Backend, trained,
            Path.GetFileName(settings.Output), Report.ReportData.HistoryFromReports(result.History), data.Test, verb.Report);
        if (report.Json)
            report.Object(new
            {
                summary = true, test_loss = test.Loss, test_accuracy = test.Accuracy, seconds = result.TrainingSeconds,
                total_seconds = total.Elapsed.TotalSeconds,
                images_per_second = data.Train.Count * (double)options.Epochs / result.TrainingSeconds,
                epochs = options.Epochs, device = device.Backend.Name, model = Path.GetFullPath(settings.Output),
            });
        else
        {
            stdout.WriteLine($"test: loss {test.Loss:0.0000}, accuracy {accuracy}");
            string before = resume is null ? ""
                : $", {resume.State.TrainingSeconds + resume.State.EpochSeconds:0.0} s of it before resuming";
            stdout.WriteLine($"total {total.Elapsed.TotalSeconds:0.0} s (training {result.TrainingSeconds:0.0} s{before}); " +
                             $"model saved to {Path.GetFullPath(settings.Output)}" + (reportPath is null ? "" : $"; report in {reportPath}"));
        }
        return ExitCodes.Success;
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
                         $"chance is {1.0 / classes:0%}); --lr {lr} may be too high: try --lr {lower}");
    }

    /// <summary>"1 epoch", "3 epochs".</summary>
    internal static string Plural(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    private static string Describe(TrainingOptions o) => o.Optimizer switch
    {
        OptimizerKind.Sgd => "SGD",
        OptimizerKind.Momentum => $"SGD with momentum {o.Momentum}",
        _ => "Adam",
    } + $" lr {o.LearningRate.ToString(CultureInfo.InvariantCulture)}" + o.Schedule switch
    {
        ScheduleKind.Constant => "",
        ScheduleKind.Step => $" (×{o.StepGamma} every {o.StepEpochs} epochs)",
        _ => " (cosine to 0)",
    } + (o.WeightDecay > 0 ? $", weight decay {o.WeightDecay}" : "") + Regularization(o);

    /// <summary>", dropout 0.5 (input 0.2), max-norm 3.5, augment affine,elastic (rotate ±15°, …)" or "".</summary>
    internal static string Regularization(TrainingOptions o)
    {
        string F(float x) => x.ToString(CultureInfo.InvariantCulture);
        var parts = new List<string>();
        if (o.Dropout is not null || o.InputDropout > 0)
            parts.Add($"dropout {(o.Dropout is { } d ? d.ToString() : "0")}" + (o.InputDropout > 0 ? $" (input {F(o.InputDropout)})" : ""));
        if (o.MaxNorm > 0) parts.Add($"max-norm {F(o.MaxNorm)}");
        if (o.Augment is { } a)
        {
            var ranges = new List<string>();
            if (a.Affine)
                ranges.Add($"rotate ±{F(a.RotationDegrees)}°, scale ±{F(a.Scale)}, shear ±{F(a.ShearDegrees)}°, shift ±{F(a.TranslatePixels)} px");
            if (a.Elastic) ranges.Add($"elastic σ {F(a.ElasticSigma)} px, α {F(a.ElasticAlpha)} px");
            parts.Add($"augment {a.Kinds} ({string.Join("; ", ranges)})");
        }
        return parts.Count == 0 ? "" : ", " + string.Join(", ", parts);
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
        m["optimizer"] = Describe(o);
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
    }
}

/// <summary>Turns Ctrl-C (SIGINT) and SIGTERM into a cancellation the trainer checks between mini-batches.</summary>
internal sealed class InterruptSignal : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly List<System.Runtime.InteropServices.PosixSignalRegistration> _registrations = [];

    public InterruptSignal()
    {
        foreach (var signal in new[] { System.Runtime.InteropServices.PosixSignal.SIGINT, System.Runtime.InteropServices.PosixSignal.SIGTERM })
            _registrations.Add(System.Runtime.InteropServices.PosixSignalRegistration.Create(signal, context =>
            {
                // The first signal: finish the current mini-batch, save a checkpoint if asked, stop cleanly. A second
                // one while that happens: stop at once (files are written atomically, so nothing half-written stays).
                context.Cancel = !_source.IsCancellationRequested;
                _source.Cancel();
            }));
    }

    public CancellationToken Token => _source.Token;

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _source.Dispose();
    }
}
