using Digits.Core.Backends;
using Digits.Core.Data;
using Digits.Core.Model;
using Digits.Core.Training;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Mutation;

/// <summary>
/// <see cref="Checkpoint.Load"/> under thousands of mutations of real checkpoints (written by the trainer mid-epoch
/// and at an epoch boundary, for each optimizer): each must load a state whose every field agrees with the others,
/// or throw a <see cref="ModelFormatException"/> naming the file. Besides the safetensors header, the mutator hits
/// the JSON of the options and the history and the counters in the metadata.
/// </summary>
public sealed class CheckpointMutationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("digits-checkpoint-mutation-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly Field[] Fields = [new("header length", 0, 8, BigEndian: false)];

    /// <summary>20 random 2×3 images in 3 classes: a run small enough that its checkpoint is a few kilobytes.</summary>
    private static Dataset Tiny(int seed, int count)
    {
        var random = new Random(seed);
        var images = new float[count * 6];
        for (int k = 0; k < images.Length; k++) images[k] = (float)random.NextDouble();
        var labels = Enumerable.Range(0, count).Select(_ => random.Next(3)).ToArray();
        return new Dataset($"tiny{seed}", ["a", "b", "c"], 2, 3, images, labels);
    }

    private MutationSource Written(string name, OptimizerKind optimizer, int stopEpoch, int stopStep, string? settings = null)
    {
        var options = new TrainingOptions { Epochs = 3, BatchSize = 6, Optimizer = optimizer, LearningRate = 0.01f, Seed = 3 };
        var spec = new MlpSpec([6, 4, 3], Activation.Relu, LossKind.CrossEntropy);
        using var cancel = new CancellationTokenSource();
        TrainingState? last = null;
        var trainer = new Trainer(TestBackends.Get("reference"), options)
        {
            SaveCheckpoint = s => last = s,
            ProgressInterval = TimeSpan.Zero,
            Progress = p => { if (p.Epoch == stopEpoch && p.Step == stopStep) cancel.Cancel(); },
        };
        try
        {
            trainer.Train(MlpModel.Initialize(spec, 3), Tiny(1, 20), null, Tiny(2, 9), cancel.Token);
        }
        catch (OperationCanceledException)
        {
        }
        Assert.NotNull(last);
        // Timings would make the file (and so the mutation cases) differ from run to run: a failure must replay.
        last = last with
        {
            EpochSeconds = 0, TrainingSeconds = 0,
            History = last.History.Select(h => h with { Seconds = 1, ImagesPerSecond = 20, EvalSeconds = 0 }).ToArray(),
        };
        string folder = Path.Combine(_dir, name);
        string path = Checkpoint.Save(folder, last, new Dictionary<string, string> { ["settings"] = settings ?? "{\"epochs\":\"3\"}" });
        return new MutationSource(name, File.ReadAllBytes(path), Fields);
    }

    [Fact]
    public async Task Checkpoints_load_consistently_or_give_a_ModelFormatException()
    {
        MutationSource[] sources =
        [
            Written("adam mid-epoch", OptimizerKind.Adam, 2, 2),
            Written("momentum after epoch 1", OptimizerKind.Momentum, 2, 4), // 20/6 → 4 steps: stops at the boundary
            Written("sgd finished", OptimizerKind.Sgd, -1, -1),
        ];
        var report = await MutationRun.RunAsync("checkpoint", sources, (_, path) => Checkpoint.Load(path),
            typeof(ModelFormatException), new MutationOptions { Check = (r, _) => CheckState(r) });
        Assert.True(report.Rejected > 0 && report.Loaded > 0, report.ToString());
    }

    [Fact]
    public async Task The_settings_a_mutated_checkpoint_records_resolve_or_give_a_one_line_usage_error()
    {
        // What `digits train --resume` does with a checkpoint before any work: read it, then rebuild the run's
        // settings from the flags it recorded. Anything wrong must surface as a UsageException (exit code 2).
        string settings = Digits.Cli.Commands.TrainSettings.Resolve(new Digits.Cli.Verbs.TrainVerb
        {
            // A relative output (checked, never written): a temporary folder's random name would change the file.
            Output = "m.safetensors", Layers = "4", Epochs = 3, BatchSize = 6, Optimizer = "adam",
            LearningRate = 0.01f, Seed = 3, Validation = 2,
        }).ToFlagsJson();
        MutationSource[] sources = [Written("adam with settings", OptimizerKind.Adam, 2, 2, settings)];
        var report = await MutationRun.RunAsync("checkpoint-settings", sources, (_, path) =>
        {
            var loaded = Checkpoint.Load(path);
            try
            {
                return Digits.Cli.Commands.TrainSettings.ForResume(new Digits.Cli.Verbs.TrainVerb(), Path.GetFileName(path),
                    loaded.Metadata.GetValueOrDefault("settings"));
            }
            catch (Digits.Cli.Verbs.UsageException e)
            {
                Assert.DoesNotContain('\n', e.Message);
                throw new ModelFormatException(path, e.Message);
            }
        }, typeof(ModelFormatException), new MutationOptions { MaxCases = MutationOptions.Cases(1500) });
        Assert.True(report.Rejected > 0 && report.Loaded > 0, report.ToString());
    }

    /// <summary>A loaded state: the position adds up, the tensors fit the architecture and the optimizer, the
    /// history covers the completed epochs, and the options are valid.</summary>
    private static void CheckState(object? result)
    {
        var state = Assert.IsType<LoadedCheckpoint>(result).State;
        state.Options.Validate();
        Assert.Equal((long)state.Epoch * state.StepsPerEpoch + state.StepInEpoch, state.StepsTaken);
        Assert.InRange(state.Epoch, 0, state.Options.Epochs);
        Assert.InRange(state.StepInEpoch, 0, state.StepsPerEpoch - 1);
        int batch = Math.Min(state.Options.BatchSize, state.TrainImages);
        Assert.Equal((state.TrainImages + batch - 1) / batch, state.StepsPerEpoch);
        Assert.Equal(state.Model.Layout.Count, state.Model.Parameters.Length);
        Assert.Equal(state.Options.Optimizer != OptimizerKind.Sgd, state.OptimizerState1 is not null);
        Assert.Equal(state.Options.Optimizer == OptimizerKind.Adam, state.OptimizerState2 is not null);
        if (state.OptimizerState1 is { } m) Assert.Equal(state.Model.Parameters.Length, m.Length);
        if (state.OptimizerState2 is { } v) Assert.Equal(state.Model.Parameters.Length, v.Length);
        Assert.Equal(state.Epoch, state.History.Count);
        Assert.All(state.History, h => Assert.NotNull(h));
        SeededRandom.FromState(state.ShuffleState);
        Assert.True(float.IsFinite(state.EpochLossSum) && state.EpochLossSum >= 0);
    }
}
