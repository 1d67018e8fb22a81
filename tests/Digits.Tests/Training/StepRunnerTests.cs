using Digits.Core.Backends;
using Digits.Core.Training;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Training;

/// <summary>
/// <see cref="StepRunner"/> alone: warm-up, one recording, replays, op-by-op steps for other sizes, and every way
/// recording can fail, each ending in op-by-op steps with one notice. The step here is the device counter's advance
/// (<see cref="IBackend.AdvanceStep"/>), so the counter tells how many steps really ran, however they were launched.
/// </summary>
public sealed class StepRunnerTests
{
    private const int FullBatch = 8;

    private sealed class Rig : IDisposable
    {
        private readonly DeviceBuffer<int> _counter;
        private readonly DeviceBuffer<float> _lossSum;

        public Rig(RecordingBackend backend)
        {
            Backend = backend;
            _counter = backend.Allocate<int>(3);
            _lossSum = backend.Allocate<float>(1);
            backend.Upload<int>([0, 0, -1], _counter.View());
        }

        public RecordingBackend Backend { get; }
        public List<string> Notices { get; } = [];

        /// <summary>Calls of the step (op by op, or being recorded), and the sizes it was called with.</summary>
        public List<int> Calls { get; } = [];

        /// <summary>When set, the step throws on the calls it returns true for (1-based).</summary>
        public Func<int, bool>? ThrowOnCall { get; init; }

        public StepRunner Runner(bool capture = true) => new(FullBatch, Step, capture ? Backend : null, Notices.Add);

        private void Step(int batch)
        {
            Calls.Add(batch);
            if (ThrowOnCall?.Invoke(Calls.Count) == true) throw new InvalidOperationException("the step itself failed");
            Backend.AdvanceStep(_counter.View(), _lossSum.View());
        }

        /// <summary>Steps that ran on the device (the counter's global step).</summary>
        public int StepsRun
        {
            get
            {
                var host = new int[3];
                Backend.Download(_counter.View(), host);
                return host[1];
            }
        }

        public void Dispose()
        {
            _lossSum.Dispose();
            _counter.Dispose();
        }
    }

    private static void RunSteps(StepRunner runner, params int[] batches)
    {
        foreach (int batch in batches) runner.Run(batch);
    }

    [Fact]
    public void The_first_full_step_runs_op_by_op_the_second_is_recorded_and_launched_and_the_rest_replay_it()
    {
        using var backend = new RecordingBackend();
        using var rig = new Rig(backend);
        using (var runner = rig.Runner()) RunSteps(runner, FullBatch, FullBatch, FullBatch, FullBatch, FullBatch);
        Assert.Equal(5, rig.StepsRun);
        Assert.Equal([FullBatch, FullBatch], rig.Calls); // the warm-up, then the recording
        Assert.Equal((1, 4), (backend.Recordings, backend.Replays));
        Assert.Empty(rig.Notices);
    }

    [Fact]
    public void A_smaller_mini_batch_runs_op_by_op_between_replays()
    {
        using var backend = new RecordingBackend();
        using var rig = new Rig(backend);
        using (var runner = rig.Runner()) RunSteps(runner, FullBatch, FullBatch, 3, FullBatch, 5);
        Assert.Equal(5, rig.StepsRun);
        Assert.Equal([FullBatch, FullBatch, 3, 5], rig.Calls);
        Assert.Equal((1, 2), (backend.Recordings, backend.Replays));
    }

    [Fact]
    public void Without_a_recorder_every_step_runs_op_by_op()
    {
        using var backend = new RecordingBackend();
        using var rig = new Rig(backend);
        using (var runner = rig.Runner(capture: false)) RunSteps(runner, FullBatch, FullBatch, FullBatch);
        Assert.Equal(3, rig.StepsRun);
        Assert.Equal(3, rig.Calls.Count);
        Assert.Equal((0, 0), (backend.Recordings, backend.Replays));
    }

    [Theory]
    [InlineData(true, 4, "step graphs unavailable (this test backend refuses to record); using plain launches")]
    [InlineData(false, 5,
        "recording the step as a graph failed (this test backend fails its recordings); using plain launches")]
    public void A_recording_that_cannot_begin_or_end_is_given_up_once_with_its_reason(bool refuse, int calls, string notice)
    {
        using var backend = new RecordingBackend { RefuseCapture = refuse, FailRecording = !refuse };
        using var rig = new Rig(backend);
        using (var runner = rig.Runner()) RunSteps(runner, FullBatch, FullBatch, FullBatch, FullBatch);
        Assert.Equal(4, rig.StepsRun);
        Assert.Equal(calls, rig.Calls.Count); // a failed recording's call ran nothing; the step is then run op by op
        Assert.Equal([notice], rig.Notices);
        Assert.Equal(0, backend.Replays);
    }

    [Fact]
    public void An_op_failing_while_recorded_ends_the_capture_and_the_step_runs_op_by_op_once()
    {
        using var backend = new RecordingBackend { ThrowAtRecordedOp = 0 };
        using var rig = new Rig(backend);
        using (var runner = rig.Runner()) RunSteps(runner, FullBatch, FullBatch, FullBatch, FullBatch);
        Assert.Equal(4, rig.StepsRun); // nothing of the failed recording ran, and the step it was for ran once
        Assert.Equal(
            ["recording the step as a graph failed (this test backend fails op 1 of a recorded step); using plain launches"],
            rig.Notices);
        Assert.Equal((0, 0), (backend.Recordings, backend.Replays));
        // The capture was ended: the backend records again, and host traffic is allowed outside a recording.
        Assert.True(backend.TryBeginCapture(out _));
        backend.EndCapture(out _)?.Dispose();
    }

    [Fact]
    public void A_step_that_fails_op_by_op_too_still_ends_the_run_after_the_one_notice()
    {
        // A failure that is not the recording's (a bug in the step, a device fault) happens again op by op, and
        // surfaces there as it would without graphs: falling back never hides it.
        using var backend = new RecordingBackend();
        using var rig = new Rig(backend) { ThrowOnCall = call => call >= 2 };
        using var runner = rig.Runner();
        runner.Run(FullBatch);
        var e = Assert.Throws<InvalidOperationException>(() => runner.Run(FullBatch));
        Assert.Equal("the step itself failed", e.Message);
        Assert.Equal(["recording the step as a graph failed (the step itself failed); using plain launches"], rig.Notices);
        Assert.Equal(1, rig.StepsRun);
    }
}
