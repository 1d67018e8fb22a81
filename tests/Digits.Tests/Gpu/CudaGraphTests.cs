using Digits.Core.Backends;
using Digits.Core.Model;
using Digits.Core.Training;
using Digits.Gpu;
using Digits.Tests.Support;
using Xunit;
using static Digits.Tests.Support.Close;

namespace Digits.Tests.Gpu;

/// <summary>A whole training step recorded once as a CUDA graph and replayed. Skips, with the reason, where there
/// is no CUDA device (the backend cannot be created). Without a GPU the same trainer path is checked by
/// <c>StepCaptureTests</c> (a reference backend that records and replays steps as CUDA graphs do).</summary>
public sealed class CudaGraphTests
{
    private static IlgpuBackend Cuda => (IlgpuBackend)TestBackends.Get("cuda");

    [Theory]
    [InlineData("relu-ce-adam")]
    [InlineData("sigmoid-mse-sgd")]
    [InlineData("tanh-ce-momentum")]
    public void A_replayed_step_graph_follows_the_golden_trajectory_in_one_launch_per_step(string name)
    {
        var backend = Cuda;
        var c = GoldenTrajectory.Cases.Single(k => k.Name == name);
        var losses = GoldenTrajectory.RunDeviceDriven(backend, c, backend, out long[] launches);
        AssertClose(GoldenTrajectory.Expected[name], losses, new Tolerance(2e-5, 2e-4), $"losses of {name}");
        AssertClose(GoldenTrajectory.RunDeviceDriven(backend, c), losses, new Tolerance(1e-6, 1e-5),
            "graph replay vs plain launches");
        Assert.Equal(GoldenTrajectory.Steps - 1, launches.Length);
        Assert.All(launches, n => Assert.Equal(1, n));
    }

    [Fact]
    public void Capture_cannot_nest_and_cannot_end_unstarted()
    {
        var backend = Cuda;
        Assert.Throws<InvalidOperationException>(() => backend.EndCapture(out _));
        Assert.True(backend.TryBeginCapture(out string reason), reason);
        try
        {
            Assert.Throws<InvalidOperationException>(() => backend.TryBeginCapture(out _));
        }
        finally
        {
            backend.EndCapture(out _)?.Dispose();
        }
        Assert.False(backend.Capturing);
    }

    [Fact]
    public void Training_on_CUDA_reports_about_one_launch_per_step()
    {
        var backend = Cuda;
        var mnist = RealData.RequireMnist();
        var train = mnist.Train.Subset(Enumerable.Range(0, 1000).ToArray(), "mnist/train[0:1000]");
        var test = mnist.Test.Subset(Enumerable.Range(0, 200).ToArray(), "mnist/t10k[0:200]");
        var spec = new MlpSpec([784, 32, 10], Activation.Relu, LossKind.CrossEntropy);
        var options = new TrainingOptions { Epochs = 3, BatchSize = 50, Optimizer = OptimizerKind.Adam, LearningRate = 2e-3f, Seed = 2 };
        var notices = new List<string>();
        var trainer = new Trainer(backend, options) { EvaluateEachEpoch = false };
        trainer.Notice += notices.Add;
        var graphed = trainer.Train(MlpModel.Initialize(spec, 2), train, null, test, TestContext.Current.CancellationToken);
        Assert.Empty(notices);
        // 60 steps: one warm-up step of plain launches, then one launch each.
        Assert.True(graphed.LaunchesPerStep < 1.5, $"{graphed.LaunchesPerStep:0.00} launches per step");
        var plain = new Trainer(backend, options) { EvaluateEachEpoch = false, CaptureSteps = false }
            .Train(MlpModel.Initialize(spec, 2), train, null, test, TestContext.Current.CancellationToken);
        AssertClose(plain.Model.Parameters, graphed.Model.Parameters, new Tolerance(1e-5, 1e-4), "weights");
    }
}
