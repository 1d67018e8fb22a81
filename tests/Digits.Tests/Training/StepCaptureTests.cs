using Digits.Core.Backends;
using Digits.Core.Data;
using Digits.Core.Model;
using Digits.Core.Training;
using Digits.Cpu;
using Digits.Tests.Support;
using Xunit;
using static Digits.Tests.Support.Close;

namespace Digits.Tests.Training;

/// <summary>
/// The trainer's step-graph path (what runs as a CUDA graph on CUDA), checked on the CPU with
/// <see cref="RecordingBackend"/>, which records a step and replays it with the arguments it was recorded with, as
/// CUDA graphs do. Results must equal plain launches on the same reference ops bit for bit — so every op of a
/// recorded step takes its per-step values from device memory — and a backend that cannot record, or fails while
/// recording, must fall back with one notice and the same bits.
/// </summary>
public sealed class StepCaptureTests
{
    private static (Dataset Train, Dataset Test) Data()
    {
        var mnist = RealData.RequireMnist();
        return (mnist.Train.Subset(Enumerable.Range(0, 1010).ToArray(), "mnist/train[0:1010]"),
            mnist.Test.Subset(Enumerable.Range(0, 200).ToArray(), "mnist/t10k[0:200]"));
    }

    private static readonly MlpSpec Spec = new([784, 32, 10], Activation.Relu, LossKind.CrossEntropy);

    private static TrainingOptions Options(OptimizerKind optimizer) => new()
    {
        Epochs = 3, BatchSize = 50, Optimizer = optimizer, Seed = 4, WeightDecay = 1e-4f,
        LearningRate = optimizer == OptimizerKind.Adam ? 2e-3f : 0.05f, Schedule = ScheduleKind.Cosine,
    };

    private static TrainingResult Train(IBackend backend, TrainingOptions options, List<string>? notices = null)
    {
        var (train, test) = Data();
        var trainer = new Trainer(backend, options);
        if (notices is not null) trainer.Notice += notices.Add;
        return trainer.Train(MlpModel.Initialize(Spec, options.Seed), train, null, test,
            TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("relu-ce-adam")]
    [InlineData("sigmoid-mse-sgd")]
    [InlineData("tanh-ce-momentum")]
    public void A_replayed_step_follows_the_golden_trajectory_in_one_launch_per_step(string name)
    {
        var c = GoldenTrajectory.Cases.Single(k => k.Name == name);
        using var recording = new RecordingBackend();
        var losses = GoldenTrajectory.RunDeviceDriven(recording, c, recording, out long[] launches);
        using var plain = new ReferenceBackend();
        Assert.Equal(GoldenTrajectory.RunDeviceDriven(plain, c), losses);
        AssertClose(GoldenTrajectory.Expected[name], losses, new Tolerance(2e-5, 2e-4), $"losses of {name}");
        Assert.Equal(1, recording.Recordings);
        Assert.Equal(GoldenTrajectory.Steps - 1, launches.Length);
        Assert.All(launches, n => Assert.Equal(1, n));
    }

    [Theory]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.Momentum)]
    [InlineData(OptimizerKind.Sgd)]
    public void Training_with_a_recorded_step_equals_plain_launches_bit_for_bit(OptimizerKind optimizer)
    {
        using var recording = new RecordingBackend();
        var (expected, graphed) = PlainAndRecorded(recording, Options(optimizer),
            "replaying one recorded step changed the weights: some op of the step takes a per-step value from the host");
        Assert.Equal(expected.History[^1].TrainLoss, graphed.History[^1].TrainLoss);
        // 3 epochs of 20 full steps and a partial one: the first full step warms up, one is recorded (then replayed),
        // and the other 59 are replays; the partial steps take their scalars from the host, as plain launches.
        Assert.Equal(1, recording.Recordings);
        Assert.Equal(59, recording.Replays);
        Assert.True(graphed.LaunchesPerStep < expected.LaunchesPerStep / 3,
            $"{graphed.LaunchesPerStep:0.00} launches per step with the graph, {expected.LaunchesPerStep:0.00} without");
    }

    /// <summary>Trains with <paramref name="options"/> on the reference backend and on <paramref name="recording"/>,
    /// and asserts that the recorded run printed no notice and ended on the plain run's weights bit for bit
    /// (<paramref name="because"/> otherwise).</summary>
    private static (TrainingResult Plain, TrainingResult Recorded) PlainAndRecorded(RecordingBackend recording,
        TrainingOptions options, string because)
    {
        using var plain = new ReferenceBackend();
        var expected = Train(plain, options);
        var notices = new List<string>();
        var graphed = Train(recording, options, notices);
        Assert.Empty(notices);
        Assert.True(expected.Model.Parameters.AsSpan().SequenceEqual(graphed.Model.Parameters), because);
        return (expected, graphed);
    }

    [Fact]
    public void With_dropout_max_norm_and_augmentation_a_recorded_step_still_equals_plain_launches_bit_for_bit()
    {
        // The regularizers read the step from the device counter and move nothing between host and device inside a
        // step (the recording backend refuses host traffic while recording, as CUDA capture does).
        var options = Options(OptimizerKind.Adam) with
        {
            Dropout = new DropoutRates([0.5f]), InputDropout = 0.2f, MaxNorm = 2f,
            Augment = new AugmentOptions { Affine = true, Elastic = true },
        };
        using var recording = new RecordingBackend();
        PlainAndRecorded(recording, options,
            "replaying one recorded step changed the weights: a regularizer takes a per-step value from the host");
        Assert.Equal(1, recording.Recordings);
        Assert.Equal(59, recording.Replays);
    }

    [Theory]
    [InlineData(true, "step graphs unavailable (this test backend refuses to record); using plain launches")]
    [InlineData(false, "recording the step as a graph failed (this test backend fails its recordings); using plain launches")]
    public void A_backend_that_cannot_record_falls_back_to_plain_launches_and_says_so(bool refuse, string notice)
    {
        var options = Options(OptimizerKind.Adam);
        using var plain = new ReferenceBackend();
        var expected = Train(plain, options);
        using var recording = new RecordingBackend { RefuseCapture = refuse, FailRecording = !refuse };
        var notices = new List<string>();
        var result = Train(recording, options, notices);
        Assert.Equal([notice], notices);
        Assert.Equal(0, recording.Replays);
        Assert.True(expected.Model.Parameters.AsSpan().SequenceEqual(result.Model.Parameters));
    }

    [Theory]
    [InlineData(0)] // the gather, the step's first op
    [InlineData(5)] // inside the forward pass, after ops that were recorded and are then dropped
    public void An_op_failing_while_the_step_is_recorded_ends_the_capture_and_the_run_goes_on_with_the_same_bits(int op)
    {
        var options = Options(OptimizerKind.Adam);
        using var plain = new ReferenceBackend();
        var expected = Train(plain, options);
        using var recording = new RecordingBackend { ThrowAtRecordedOp = op };
        var notices = new List<string>();
        var result = Train(recording, options, notices);
        Assert.Equal([$"recording the step as a graph failed (this test backend fails op {op + 1} of a recorded step); " +
                      "using plain launches"], notices);
        Assert.Equal((0, 0), (recording.Recordings, recording.Replays));
        Assert.True(expected.Model.Parameters.AsSpan().SequenceEqual(result.Model.Parameters),
            "a run that fell back to plain launches differs from a plain run");
        Assert.Equal(expected.LaunchesPerStep, result.LaunchesPerStep);
    }

    [Fact]
    public void A_run_resumed_mid_epoch_records_its_step_again_and_still_ends_bit_identical()
    {
        var options = Options(OptimizerKind.Adam);
        using var plain = new ReferenceBackend();
        var expected = Train(plain, options);
        var (train, test) = Data();
        TrainingState? saved = null;
        using var cancel = new CancellationTokenSource();
        using (var first = new RecordingBackend())
        {
            var trainer = new Trainer(first, options)
            {
                SaveCheckpoint = s => saved = s,
                ProgressInterval = TimeSpan.Zero,
                Progress = p => { if (p.Epoch == 2 && p.Step == 7) cancel.Cancel(); },
            };
            Assert.ThrowsAny<OperationCanceledException>(() =>
                trainer.Train(MlpModel.Initialize(Spec, options.Seed), train, null, test, cancel.Token));
        }
        Assert.NotNull(saved);
        using var second = new RecordingBackend();
        var resumed = new Trainer(second, options).Resume(saved, train, null, test, TestContext.Current.CancellationToken);
        Assert.Equal(1, second.Recordings);
        Assert.True(expected.Model.Parameters.AsSpan().SequenceEqual(resumed.Model.Parameters));
    }

    [Fact]
    public void The_recording_backend_refuses_host_traffic_inside_a_step_as_CUDA_capture_does()
    {
        // The property the tests above lean on: a step that moved data to or from the host, or allocated, while
        // being recorded would fail here (CUDA stream capture rejects the same), not silently run at record time.
        using var backend = new RecordingBackend();
        using var buffer = backend.Allocate<float>(4);
        Assert.True(backend.TryBeginCapture(out _));
        Assert.Throws<InvalidOperationException>(() => backend.Upload<float>([1f, 2f, 3f, 4f], buffer.View()));
        Assert.Throws<InvalidOperationException>(() => backend.Download(buffer.View(), new float[4]));
        Assert.Throws<InvalidOperationException>(() => backend.Allocate<float>(4));
        backend.Fill(7f, buffer.View());
        using var graph = backend.EndCapture(out string reason);
        Assert.NotNull(graph);
        var host = new float[4];
        backend.Download(buffer.View(), host);
        Assert.Equal([0f, 0f, 0f, 0f], host); // recorded, not run
        graph.Launch();
        backend.Download(buffer.View(), host);
        Assert.Equal([7f, 7f, 7f, 7f], host);
    }
}
