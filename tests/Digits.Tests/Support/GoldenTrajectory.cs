using Digits.Core.Backends;
using Digits.Core.Model;
using Digits.Core.Training;

namespace Digits.Tests.Support;

/// <summary>
/// A tiny MLP, fixed seed, one fixed mini-batch, 10 optimizer steps; returns the mean loss before each
/// step. The recorded values in <see cref="Expected"/> were produced by running this on
/// <c>ReferenceBackend</c> on 2026-11-21 (a throwaway test that printed <c>Run(new ReferenceBackend(), c)</c>
/// with "G9" formatting) and pasted here; re-record them only when the model's math changes on purpose.
/// </summary>
public static class GoldenTrajectory
{
    public sealed record Case(string Name, Activation Hidden, LossKind Loss, OptimizerKind Optimizer, float LearningRate,
        float WeightDecay);

    public static readonly Case[] Cases =
    [
        new("relu-ce-adam", Activation.Relu, LossKind.CrossEntropy, OptimizerKind.Adam, 0.01f, 0f),
        new("sigmoid-mse-sgd", Activation.Sigmoid, LossKind.Quadratic, OptimizerKind.Sgd, 3f, 0f),
        new("tanh-ce-momentum", Activation.Tanh, LossKind.CrossEntropy, OptimizerKind.Momentum, 0.05f, 1e-3f),
    ];

    /// <summary>Recorded on the reference backend, float32 printed with 9 significant digits.</summary>
    public static readonly Dictionary<string, float[]> Expected = new()
    {
        ["relu-ce-adam"] = [2.56236005f, 2.29557729f, 2.10237622f, 1.95678413f, 1.82699895f, 1.71529675f, 1.61303651f, 1.52079058f, 1.43644953f, 1.35579813f],
        ["sigmoid-mse-sgd"] = [1.22642171f, 0.530968785f, 0.447368115f, 0.423088998f, 0.412529975f, 0.406778902f, 0.4032121f, 0.400802612f, 0.399070263f, 0.397763222f],
        ["tanh-ce-momentum"] = [2.43392944f, 2.3465519f, 2.20085025f, 2.04085851f, 1.90737128f, 1.81402349f, 1.7461102f, 1.68061721f, 1.60329342f, 1.51563609f],
    };

    public const int Steps = 10, Batch = 8;

    /// <summary>The losses of <paramref name="c"/>'s 10 steps on <paramref name="backend"/>, op by op.</summary>
    public static float[] Run(IBackend backend, Case c) => RunDeviceDriven(backend, c);

    /// <summary>The trainer's step, as it issues it: the batch is gathered at the device counter from an index list
    /// that repeats the same 8 images, and the learning rate (and Adam's corrections) come from a schedule table
    /// uploaded once.</summary>
    /// <para>With <paramref name="capture"/>, step 0 runs plainly (the warm-up), step 1 is recorded and then run
    /// as a graph, and every later step replays it.</para>
    public static float[] RunDeviceDriven(IBackend backend, Case c, IStepCapture? capture = null)
        => RunDeviceDriven(backend, c, capture, out _);

    /// <summary>As above; <paramref name="replayLaunches"/> gets the backend's launch count for each step after
    /// the first when capturing.</summary>
    public static float[] RunDeviceDriven(IBackend backend, Case c, IStepCapture? capture, out long[] replayLaunches)
    {
        var spec = new MlpSpec([20, 16, 12, 10], c.Hidden, c.Loss);
        var model = MlpModel.Initialize(spec, seed: 42);
        var random = new Random(42);
        float[] x = TestData.Uniform(random, Batch * spec.Inputs, 0f, 1f);
        int[] labels = TestData.Labels(random, Batch, spec.Outputs);
        var options = new TrainingOptions
        {
            Optimizer = c.Optimizer, LearningRate = c.LearningRate, WeightDecay = c.WeightDecay,
            Schedule = ScheduleKind.Constant,
        };
        using var network = new DeviceNetwork(backend, model, Batch, c.Optimizer);
        using var images = backend.Allocate<float>(x.Length);
        using var targets = backend.Allocate<int>(Batch);
        using var indices = backend.Allocate<int>(Steps * Batch);
        using var schedule = backend.Allocate<float>(3 * Steps);
        using var counter = backend.Allocate<int>(3);
        backend.Upload<float>(x, images.View());
        backend.Upload<int>(labels, targets.View());
        backend.Upload<int>(Enumerable.Range(0, Steps * Batch).Select(k => k % Batch).ToArray(), indices.View());
        backend.Upload<float>(StepSchedule.ForEpoch(options, Steps, 1, 0), schedule.View());
        var losses = new float[Steps];
        var host = new float[1];
        var launches = new List<long>();
        IStepGraph? graph = null;
        void Step()
        {
            backend.GatherBatch(images.View(), targets.View(), indices.View(), counter.View(), Batch, Batch, spec.Inputs,
                network.Input.View(0, Batch * spec.Inputs), network.Targets.View(0, Batch));
            network.TrainStep(Batch, options, schedule.View(), counter.View());
            backend.AdvanceStep(counter.View(), network.LossSum.View());
        }
        try
        {
            for (int s = 0; s < Steps; s++)
            {
                network.ResetMetrics();
                long before = backend.Launches;
                if (capture is null || s == 0)
                    Step();
                else
                {
                    if (graph is null)
                    {
                        if (!capture.TryBeginCapture(out string why)) throw new InvalidOperationException(why);
                        Step();
                        graph = capture.EndCapture(out why) ?? throw new InvalidOperationException(why);
                    }
                    graph.Launch();
                    launches.Add(backend.Launches - before);
                }
                network.CountStep();
                backend.Download(network.LossSum.View(), host);
                losses[s] = host[0] / Batch;
            }
        }
        finally
        {
            graph?.Dispose();
        }
        replayLaunches = [.. launches];
        return losses;
    }
}
