using System.Text.Json;
using Digits.Core.Backends;
using Digits.Core.Data;
using Digits.Core.Model;
using Digits.Core.Training;
using Digits.Cpu;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Model;

/// <summary>The one inference path: <see cref="InferenceNetwork"/> gives the training network's forward pass and
/// the one softmax bit for bit, however its images are chunked or wherever they come from, and holds no gradients or
/// optimizer state.</summary>
public sealed class InferenceNetworkTests
{
    private static readonly MlpSpec CrossEntropy = new([20, 7, 5], Activation.Relu, LossKind.CrossEntropy);
    private static readonly MlpSpec Quadratic = new([20, 6, 4], Activation.Sigmoid, LossKind.Quadratic);

    private static float[] Images(int count, int features, ulong seed)
    {
        var random = SeededRandom.ForPurpose(seed, "images");
        return Enumerable.Range(0, count * features).Select(_ => (float)random.NextDouble()).ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Probabilities_are_the_training_networks_forward_pass_and_the_softmax_in_any_chunking(bool mse)
    {
        var spec = mse ? Quadratic : CrossEntropy;
        var model = MlpModel.Initialize(spec, 5);
        const int count = 13;
        var images = Images(count, spec.Inputs, 9);
        using var backend = new ReferenceBackend();

        // what predict did before there was an inference network: an SGD training network, forward, download, softmax
        var outputs = new float[count * spec.Outputs];
        using (var training = new DeviceNetwork(backend, model, count, OptimizerKind.Sgd))
        {
            backend.Upload<float>(images, training.Input.View(0, images.Length));
            training.Forward(training.Input.View(0, images.Length), count);
            backend.Download(training.Outputs(count), outputs);
        }
        var expected = Enumerable.Range(0, count).SelectMany(k =>
            OutputProbabilities.From(outputs.AsSpan(k * spec.Outputs, spec.Outputs), spec.Loss)).ToArray();
        static float[] Flat(float[][] rows) => rows.SelectMany(p => p).ToArray();

        using var whole = new InferenceNetwork(backend, model, count);
        Close.AssertClose(expected, Flat(whole.Probabilities(images)), Tolerance.Exact, "one batch");
        using var chunked = new InferenceNetwork(backend, model, 4);
        Close.AssertClose(expected, Flat(chunked.Probabilities(images)), Tolerance.Exact, "chunks of 4");
        using var onDevice = backend.Allocate<float>(images.Length);
        backend.Upload<float>(images, onDevice.View());
        Close.AssertClose(expected, Flat(chunked.Probabilities(onDevice.View(), count)), Tolerance.Exact,
            "images on the device");
        foreach (var row in whole.Probabilities(images)) Assert.InRange(row.Sum(), 0.9999f, 1.0001f);
    }

    [Fact]
    public void It_allocates_parameters_input_activations_and_the_evaluation_accumulators_only()
    {
        var model = MlpModel.Initialize(CrossEntropy, 1);
        const int batch = 6;
        using var backend = new ReferenceBackend();
        long before = backend.AllocatedBytes;
        using (new InferenceNetwork(backend, model, batch))
        {
            // parameters; input (B, I); activations (B, 7) and (B, 5); the output delta (B, 5); loss sum and count
            long floats = model.Layout.Count + batch * 20 + batch * (7 + 5) + batch * 5 + 1 + 1;
            Assert.Equal(floats * sizeof(float), backend.AllocatedBytes - before);
        }
        Assert.Equal(before, backend.AllocatedBytes);
    }

    [Fact]
    public void The_evaluator_gives_the_same_figures_through_it_as_through_a_training_network()
    {
        var model = MlpModel.Initialize(CrossEntropy, 2);
        var labels = Enumerable.Range(0, 23).Select(k => k * 7 % 5).ToArray();
        var test = new Dataset("random", ["a", "b", "c", "d", "e"], 4, 5, Images(labels.Length, 20, 3), labels);
        using var backend = new CpuBackend();
        using var data = new DeviceDataset(backend, test);
        using var training = new DeviceNetwork(backend, model, 10, OptimizerKind.Adam);
        using var inference = new InferenceNetwork(backend, model, 10);
        var a = Evaluator.Evaluate(training, data, withPredictions: true);
        var b = Evaluator.Evaluate(inference, data, withPredictions: true);
        Assert.Equal(a.Loss, b.Loss);
        Assert.Equal(a.Correct, b.Correct);
        Close.AssertEqual(a.Predictions!, b.Predictions!, "predictions");
    }

    [Fact]
    public void Images_that_are_not_whole_rows_are_refused()
    {
        using var backend = new ReferenceBackend();
        var model = MlpModel.Initialize(CrossEntropy, 1);
        using var network = new InferenceNetwork(backend, model, 4);
        var e = Assert.Throws<ArgumentException>(() => network.Probabilities(new float[30]));
        Assert.Contains("not a multiple of 20", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new InferenceNetwork(backend, model, 0));
    }

    [Fact]
    public void Class_names_come_from_the_metadata_when_they_name_every_output()
    {
        var model = MlpModel.Initialize(CrossEntropy, 1);
        Assert.Equal(["0", "1", "2", "3", "4"], ClassNames.Of(model));
        model.Metadata["class_names"] = JsonSerializer.Serialize(new[] { "a", "b", "c", "d", "e" });
        Assert.Equal(["a", "b", "c", "d", "e"], ClassNames.Of(model));
        model.Metadata["class_names"] = JsonSerializer.Serialize(new[] { "a", "b" });
        Assert.Equal(["0", "1", "2", "3", "4"], ClassNames.Of(model));
        model.Metadata["class_names"] = "[\"a\", null, \"c\", \"d\", \"e\"]";
        Assert.Equal(["0", "1", "2", "3", "4"], ClassNames.Of(model));
        model.Metadata["class_names"] = "not json";
        Assert.Equal(["0", "1", "2", "3", "4"], ClassNames.Of(model));
    }
}
