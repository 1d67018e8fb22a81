using Digits.Core.Backends;
using Digits.Core.Data;
using Digits.Core.Model;
using Digits.Core.Training;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Training;

/// <summary>
/// Dropout and augmentation do what they are for, in a run short enough for CI: on a small training set a plain MLP
/// overfits, and the same run with dropout and affine augmentation generalizes better to held-out digits.
/// </summary>
public sealed class RegularizationTrainingTests
{
    private static (Dataset Train, Dataset HeldOut) Data()
    {
        var mnist = RealData.RequireMnist();
        return (mnist.Train.Subset(Enumerable.Range(0, 1000).ToArray(), "mnist/train[0:1000]"),
            mnist.Train.Subset(Enumerable.Range(50_000, 2000).ToArray(), "mnist/train[50000:52000]"));
    }

    private static TrainingResult Train(TrainingOptions options)
    {
        var (train, heldOut) = Data();
        var spec = new MlpSpec([784, 256, 10], Activation.Relu, LossKind.CrossEntropy);
        return new Trainer(TestBackends.Get("cpu"), options) { EvaluateEachEpoch = false }
            .Train(MlpModel.Initialize(spec, options.Seed), train, null, heldOut);
    }

    [Fact]
    public void On_1000_images_dropout_and_augmentation_beat_the_same_run_without_them_on_held_out_digits()
    {
        var plain = new TrainingOptions { Epochs = 30, BatchSize = 50, LearningRate = 1e-3f, Seed = 2 };
        var regularized = plain with
        {
            Dropout = new DropoutRates([0.3f]),
            Augment = new AugmentOptions { Affine = true, Elastic = true, ElasticSigma = 4, ElasticAlpha = 20 },
        };
        var a = Train(plain);
        var b = Train(regularized);
        // The plain run memorizes its 1000 images; the regularized one cannot, and does better on unseen ones.
        Assert.True(a.History[^1].TrainAccuracy > 0.99, $"plain training accuracy {a.History[^1].TrainAccuracy:P1}");
        Assert.True(b.Test.Accuracy > a.Test.Accuracy + 0.01,
            $"held-out accuracy: {b.Test.Accuracy:P2} with dropout and augmentation, {a.Test.Accuracy:P2} without");
    }
}
