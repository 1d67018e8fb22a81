using Digits.Core.Backends;
using Digits.Core.Data;
using Digits.Core.Model;
using Digits.Core.Training;
using Digits.Cpu;
using Xunit;

namespace Digits.Tests.Training;

/// <summary>
/// <see cref="TrainingRun"/> (what a run keeps on the device and where it is), <see cref="EpochProgress"/> and
/// <see cref="DivergenceCheck"/>, each driven by hand on a tiny made-up dataset on the reference backend: 10 images of
/// 4×4 pixels in 3 classes, mini-batches of 4 (so 3 per epoch, the last of 2).
/// </summary>
public sealed class TrainingRunTests
{
    private static readonly MlpSpec Spec = new([16, 5, 3], Activation.Relu, LossKind.CrossEntropy);

    private static Dataset Tiny(string name, int count, int offset)
    {
        var images = new float[count * 16];
        for (int k = 0; k < images.Length; k++) images[k] = ((k * 7 + offset * 13) % 17) / 17f;
        var labels = Enumerable.Range(offset, count).Select(k => k % 3).ToArray();
        return new Dataset(name, ["a", "b", "c"], 4, 4, images, labels);
    }

    private static readonly Dataset Train = Tiny("train", 10, 0), Test = Tiny("test", 6, 100);

    private static TrainingOptions Options(float learningRate = 0.1f) => new()
    {
        Epochs = 2, BatchSize = 4, Optimizer = OptimizerKind.Adam, LearningRate = learningRate, Seed = 5,
    };

    private static TrainingRun Start(IBackend backend, TrainingOptions options, TrainingState? resume = null) =>
        new(backend, options, resume?.Model ?? MlpModel.Initialize(Spec, options.Seed), Train, null, Test, resume);

    /// <summary>Takes the epoch in progress's steps, op by op, until <paramref name="stopAt"/> of them are done.</summary>
    private static void TakeSteps(TrainingRun run, int stopAt = int.MaxValue)
    {
        while (run.StepInEpoch < run.StepsPerEpoch && run.StepInEpoch < stopAt)
        {
            run.Step(run.BatchAt(run.StepInEpoch));
            run.StepTaken();
        }
    }

    private static void FinishEpoch(TrainingRun run)
    {
        var (lossSum, correct) = run.FinishSteps();
        run.FinishEpoch(new EpochReport(run.Epoch + 1, lossSum / 10.0, correct / 10.0, null, null, double.NaN,
            double.NaN, 1, 10, run.LastLearningRate, 0));
    }

    [Fact]
    public void An_epoch_is_ceil_N_over_B_mini_batches_the_last_one_smaller()
    {
        using var backend = new ReferenceBackend();
        using (var run = Start(backend, Options()))
        {
            Assert.Equal((4, 3), (run.BatchSize, run.StepsPerEpoch));
            Assert.Equal([4, 4, 2], Enumerable.Range(0, 3).Select(run.BatchAt));
        }
        using var whole = Start(backend, Options() with { BatchSize = 64 });
        Assert.Equal((10, 1, 10), (whole.BatchSize, whole.StepsPerEpoch, whole.BatchAt(0)));
    }

    [Fact]
    public void Steps_move_the_position_on_the_host_and_the_sums_on_the_device()
    {
        using var backend = new ReferenceBackend();
        using var run = Start(backend, Options());
        run.BeginEpoch();
        TakeSteps(run, stopAt: 2);
        Assert.Equal((0, 2, 2L, 8), (run.Epoch, run.StepInEpoch, run.StepsTaken, run.ImagesDone));
        float afterTwo = run.ReadLossSum();
        TakeSteps(run);
        Assert.Equal((3, 3L, 10), (run.StepInEpoch, run.StepsTaken, run.ImagesDone));
        Assert.True(run.ReadLossSum() > afterTwo && float.IsFinite(run.ReadLossSum()), "the loss sum did not accumulate");
        Assert.Equal(-1, run.ReadFirstBadStep());
        FinishEpoch(run);
        Assert.Equal((1, 0, 3L, 1), (run.Epoch, run.StepInEpoch, run.StepsTaken, run.History.Count));
        Assert.True(run.LaunchesPerStep > 0);
    }

    [Theory]
    [InlineData(0)] // between epochs
    [InlineData(1)] // inside the second epoch, after its first mini-batch
    [InlineData(2)] // just before the second epoch's last, smaller mini-batch
    public void A_run_begun_from_a_snapshot_ends_on_the_same_weights_bit_for_bit(int stepInSecondEpoch)
    {
        using var backend = new ReferenceBackend();
        float[] expected;
        using (var whole = Start(backend, Options()))
        {
            for (int e = 0; e < 2; e++)
            {
                whole.BeginEpoch();
                TakeSteps(whole);
                FinishEpoch(whole);
            }
            expected = whole.DownloadModel().Parameters;
        }
        TrainingState state;
        using (var first = Start(backend, Options()))
        {
            first.BeginEpoch();
            TakeSteps(first);
            FinishEpoch(first);
            if (stepInSecondEpoch > 0)
            {
                first.BeginEpoch();
                TakeSteps(first, stopAt: stepInSecondEpoch);
            }
            state = first.Snapshot(epochSeconds: 0.5);
        }
        Assert.Equal((1, stepInSecondEpoch, 3L + stepInSecondEpoch), (state.Epoch, state.StepInEpoch, state.StepsTaken));
        Assert.Equal(stepInSecondEpoch == 0, state.EpochLossSum == 0 && state.EpochSeconds == 0);
        using var resumed = Start(backend, Options(), state);
        resumed.BeginEpoch();
        TakeSteps(resumed);
        FinishEpoch(resumed);
        Assert.True(resumed.Finished);
        Assert.True(expected.AsSpan().SequenceEqual(resumed.DownloadModel().Parameters),
            "the resumed run's weights differ from the uninterrupted run's");
    }

    [Fact]
    public void Progress_is_reported_after_every_step_with_a_zero_interval_and_only_after_the_last_with_a_long_one()
    {
        using var backend = new ReferenceBackend();
        foreach (var (interval, steps) in new[] { (TimeSpan.Zero, new[] { 1, 2, 3 }), (TimeSpan.FromHours(1), [3]) })
        {
            using var run = Start(backend, Options());
            var reports = new List<StepProgress>();
            var progress = new EpochProgress(run, new DivergenceCheck(Options(), run.StepsPerEpoch), reports.Add, interval,
                epochs: 2);
            run.BeginEpoch();
            while (run.StepInEpoch < run.StepsPerEpoch)
            {
                run.Step(run.BatchAt(run.StepInEpoch));
                run.StepTaken();
                progress.AfterStep();
            }
            Assert.Equal(steps, reports.Select(r => r.Step));
            Assert.All(reports, r => Assert.Equal((1, 2, 3), (r.Epoch, r.Epochs, r.StepsPerEpoch)));
            Assert.Equal(run.ReadLossSum() / 10, reports[^1].RunningLoss, 6);
        }
    }

    [Fact]
    public void A_progress_report_that_reads_a_loss_that_is_not_finite_stops_the_run_at_the_step_it_became_so()
    {
        using var backend = new ReferenceBackend();
        var options = Options(learningRate: 1e30f) with { Optimizer = OptimizerKind.Sgd, Schedule = ScheduleKind.Constant };
        using var run = Start(backend, options);
        var progress = new EpochProgress(run, new DivergenceCheck(options, run.StepsPerEpoch), _ => { }, TimeSpan.Zero, 2);
        var e = Assert.Throws<TrainingDivergedException>(() =>
        {
            for (int epoch = 0; epoch < 2; epoch++)
            {
                run.BeginEpoch();
                while (run.StepInEpoch < run.StepsPerEpoch)
                {
                    run.Step(run.BatchAt(run.StepInEpoch));
                    run.StepTaken();
                    progress.AfterStep();
                }
                FinishEpoch(run);
            }
        });
        long bad = run.ReadFirstBadStep();
        Assert.Equal(((int)(bad / 3) + 1, (int)(bad % 3) + 1), (e.Epoch, e.Step));
        Assert.Equal(1e30f, e.LearningRate);
    }

    [Fact]
    public void Divergence_is_placed_by_global_step_and_named_in_the_librarys_terms()
    {
        var options = new TrainingOptions { Epochs = 4, LearningRate = 0.02f, Schedule = ScheduleKind.Cosine };
        var check = new DivergenceCheck(options, stepsPerEpoch: 100);
        check.ThrowIfLossDiverged(-1);
        var e = Assert.Throws<TrainingDivergedException>(() => check.ThrowIfLossDiverged(257));
        Assert.Equal((3, 58, 100), (e.Epoch, e.Step, e.StepsPerEpoch));
        Assert.Equal(options.LearningRateAt(257, 400, 2), e.LearningRate);
        Assert.Equal(options.LearningRate / 10, e.SuggestedLearningRate);
        Assert.Equal($"{e.Description}; try a smaller TrainingOptions.LearningRate (e.g. 0.002)", e.Message);
        Assert.StartsWith("training diverged in epoch 3, step 58 of 100: the loss became NaN or infinite at learning rate ",
            e.Description);

        check.ThrowIfLossOverflowed(1.5, 2, 0.01f);
        e = Assert.Throws<TrainingDivergedException>(() => check.ThrowIfLossOverflowed(double.PositiveInfinity, 2, 0.01f));
        Assert.Equal((2, 100, 0.01f), (e.Epoch, e.Step, e.LearningRate));
        Assert.Contains("the epoch's loss sum overflowed", e.Message);

        var model = MlpModel.Initialize(Spec, 1);
        check.ThrowIfNotFinite(model, 1, 100);
        model.Parameters[7] = float.NaN;
        e = Assert.Throws<TrainingDivergedException>(() => check.ThrowIfNotFinite(model, 1, 100));
        Assert.Contains("the weights became NaN or infinite", e.Message);
        Assert.Equal(options.LearningRateAt(99, 400, 0), e.LearningRate);
    }
}
