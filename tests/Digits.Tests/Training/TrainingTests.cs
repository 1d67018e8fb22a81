using Digits.Core.Backends;
using Digits.Core.Data;
using Digits.Core.Model;
using Digits.Core.Training;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Training;

public sealed class TrainingTests
{
    private static (Dataset Train, Dataset Test) Small(int train, int test)
    {
        var mnist = RealData.RequireMnist();
        return (mnist.Train.Subset(Enumerable.Range(0, train).ToArray(), $"mnist/train[0:{train}]"),
            mnist.Test.Subset(Enumerable.Range(0, test).ToArray(), $"mnist/t10k[0:{test}]"));
    }

    private static TrainingResult Train(IBackend backend, Dataset train, Dataset test, TrainingOptions options,
        MlpSpec spec) => new Trainer(backend, options).Train(MlpModel.Initialize(spec, options.Seed), train, null, test);

    [Fact]
    public void A_few_thousand_real_MNIST_images_train_to_a_sensible_accuracy_on_the_cpu()
    {
        var (train, test) = Small(10000, 2000);
        var result = Train(TestBackends.Get("cpu"), train, test,
            new TrainingOptions { Epochs = 5, BatchSize = 50, LearningRate = 2e-3f, Seed = 3 },
            new MlpSpec([784, 64, 10], Activation.Relu, LossKind.CrossEntropy));
        // A 784-64-10 MLP on 10000 images for 5 epochs reaches about 94 % on the first 2000 test images; 90 %
        // leaves room for seeds, while any broken op (gradient sign, shuffle, bias) lands far below.
        Assert.True(result.Test.Accuracy > 0.90, $"test accuracy {result.Test.Accuracy:P2}");
        Assert.True(result.History[^1].TrainLoss < result.History[0].TrainLoss, "training loss did not fall");
        Assert.Equal(5, result.History.Count);
        Assert.Equal(result.Test.Accuracy, result.History[^1].TestAccuracy, 10);
    }

    [Fact]
    public void Same_seed_same_device_same_threads_gives_bit_identical_weights()
    {
        var (train, test) = Small(3000, 500);
        var spec = new MlpSpec([784, 48, 10], Activation.Tanh, LossKind.CrossEntropy);
        var options = new TrainingOptions { Epochs = 2, BatchSize = 50, Optimizer = OptimizerKind.Momentum, LearningRate = 0.05f, WeightDecay = 1e-4f, Seed = 11 };
        TestBackends.Get("cpu");
        using var a = TestBackends.CreateFresh("cpu");
        using var b = TestBackends.CreateFresh("cpu");
        var first = Train(a, train, test, options, spec).Model.Parameters;
        var second = Train(b, train, test, options, spec).Model.Parameters;
        Assert.True(first.AsSpan().SequenceEqual(second), "two runs with the same seed differ");
        var third = Train(a, train, test, options with { Seed = 12 }, spec).Model.Parameters;
        Assert.False(first.AsSpan().SequenceEqual(third), "a different seed gave the same weights");
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd, ScheduleKind.Constant)]
    [InlineData(OptimizerKind.Momentum, ScheduleKind.Step)]
    [InlineData(OptimizerKind.Adam, ScheduleKind.Cosine)]
    public void Every_optimizer_and_schedule_lowers_the_loss(OptimizerKind optimizer, ScheduleKind schedule)
    {
        var (train, test) = Small(2000, 500);
        float lr = optimizer == OptimizerKind.Adam ? 2e-3f : 0.1f;
        var result = Train(TestBackends.Get("cpu"), train, test,
            new TrainingOptions { Epochs = 3, BatchSize = 32, Optimizer = optimizer, Schedule = schedule, LearningRate = lr, StepEpochs = 1, StepGamma = 0.5f },
            new MlpSpec([784, 32, 10], Activation.Sigmoid, LossKind.CrossEntropy));
        Assert.True(result.History[^1].TrainLoss < result.History[0].TrainLoss * 0.8,
            $"loss {result.History[0].TrainLoss:0.000} → {result.History[^1].TrainLoss:0.000}");
        Assert.True(result.Test.Accuracy > 0.6, $"test accuracy {result.Test.Accuracy:P2}");
    }

    [Theory]
    [InlineData("ilgpu-cpu")]
    [InlineData("cuda")]
    public void A_GPU_epoch_moves_nothing_between_host_and_device_but_the_permutation_the_schedule_and_three_scalar_reads(
        string device)
    {
        var backend = (Digits.Gpu.IlgpuBackend)TestBackends.Get(device);
        var spec = new MlpSpec([784, 16, 10], Activation.Relu, LossKind.CrossEntropy);
        long PerEpoch(int images)
        {
            var (train, test) = Small(images, 32);
            var options = new TrainingOptions { Epochs = 3, BatchSize = 32, Optimizer = OptimizerKind.Adam, LearningRate = 1e-3f };
            var marks = new List<long>();
            var trainer = new Trainer(backend, options) { EvaluateEachEpoch = false };
            trainer.EpochCompleted += _ => marks.Add(backend.HostTransfers);
            trainer.Train(MlpModel.Initialize(spec, 1), train, null, test);
            Assert.Equal(marks[1] - marks[0], marks[2] - marks[1]);
            return marks[2] - marks[1];
        }
        // The permutation and the epoch's schedule uploads + the loss, correct-count and step-counter downloads,
        // whether the epoch has 2 steps or 5 (few: ilgpu-cpu runs every GPU thread as an OS thread).
        Assert.Equal(5, PerEpoch(64));
        Assert.Equal(5, PerEpoch(160));
    }

    [Fact]
    public void Full_batch_gradient_descent_when_the_batch_holds_the_whole_set()
    {
        var (train, test) = Small(500, 200);
        var result = Train(TestBackends.Get("cpu"), train, test,
            new TrainingOptions { Epochs = 5, BatchSize = 100_000, Optimizer = OptimizerKind.Sgd, LearningRate = 0.5f, Schedule = ScheduleKind.Constant },
            new MlpSpec([784, 16, 10], Activation.Relu, LossKind.CrossEntropy));
        // One step per epoch: the losses of consecutive epochs are the full-batch objective, which falls monotonically
        // for a small enough learning rate.
        for (int e = 1; e < result.History.Count; e++)
            Assert.True(result.History[e].TrainLoss < result.History[e - 1].TrainLoss);
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("opencl")]
    public void A_short_GPU_run_reaches_the_CPU_accuracy_with_the_same_seed(string device)
    {
        var (train, test) = Small(10000, 2000);
        var spec = new MlpSpec([784, 64, 10], Activation.Relu, LossKind.CrossEntropy);
        var options = new TrainingOptions { Epochs = 3, BatchSize = 50, LearningRate = 2e-3f, Seed = 5 };
        var gpu = Train(TestBackends.Get(device), train, test, options, spec);
        var cpu = Train(TestBackends.Get("cpu"), train, test, options, spec);
        Assert.True(Math.Abs(gpu.Test.Accuracy - cpu.Test.Accuracy) <= 0.003,
            $"{device} {gpu.Test.Accuracy:P2} vs cpu {cpu.Test.Accuracy:P2}: more than 0.3 points apart");
        Assert.True(cpu.Test.Accuracy > 0.88, $"cpu accuracy {cpu.Test.Accuracy:P2}");
    }

    [Fact]
    public void Progress_reports_steps_in_order_with_the_running_loss_and_ends_each_epoch_at_its_last_step()
    {
        var (train, test) = Small(2000, 200);
        var seen = new List<StepProgress>();
        var trainer = new Trainer(TestBackends.Get("cpu"), new TrainingOptions { Epochs = 2, BatchSize = 100 })
        {
            Progress = seen.Add, ProgressInterval = TimeSpan.Zero,
        };
        var result = trainer.Train(MlpModel.Initialize(new MlpSpec([784, 16, 10], Activation.Relu, LossKind.CrossEntropy), 1),
            train, null, test, TestContext.Current.CancellationToken);
        Assert.Equal(40, seen.Count); // 20 steps per epoch, reported every step with a zero interval
        Assert.Equal(Enumerable.Range(1, 20).Concat(Enumerable.Range(1, 20)), seen.Select(p => p.Step));
        Assert.All(seen, p => Assert.True(double.IsFinite(p.RunningLoss) && p.RunningLoss > 0));
        // The last report of an epoch covers all its images: its running loss is the epoch's train loss.
        Assert.Equal(result.History[0].TrainLoss, seen[19].RunningLoss, 6);
    }

    [Fact]
    public void Learning_rate_schedules_follow_their_formulas()
    {
        var cosine = new TrainingOptions { LearningRate = 0.1f, Schedule = ScheduleKind.Cosine };
        Assert.Equal(0.1f, cosine.LearningRateAt(0, 100, 0), 6);
        Assert.Equal(0.05f, cosine.LearningRateAt(50, 100, 5), 6);
        Assert.Equal(0f, cosine.LearningRateAt(100, 100, 9), 6);
        var step = new TrainingOptions { LearningRate = 1f, Schedule = ScheduleKind.Step, StepEpochs = 2, StepGamma = 0.5f };
        Assert.Equal([1f, 1f, 0.5f, 0.5f, 0.25f], Enumerable.Range(0, 5).Select(e => step.LearningRateAt(0, 1, e)));
    }
}
