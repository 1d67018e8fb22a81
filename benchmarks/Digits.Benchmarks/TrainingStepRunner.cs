using Digits.Core.Backends;
using Digits.Core.Training;

namespace Digits.Benchmarks;

/// <summary>A training configuration as the benchmarks model it: layer widths, hidden activation, batch, loss,
/// optimizer.</summary>
public sealed record StepConfig(string Name, int[] Widths, Activation Hidden, int Batch, bool Quadratic, bool Adam)
{
    public const int TrainingImages = 60_000;

    /// <summary>The three configurations.</summary>
    public static IReadOnlyList<StepConfig> All { get; } =
    [
        new("small", [784, 128, 10], Activation.Relu, 128, false, true),
        new("large", [784, 1024, 1024, 10], Activation.Relu, 256, false, true),
        new("nielsen", [784, 30, 10], Activation.Sigmoid, 10, true, false),
    ];

    public override string ToString() => Name;

    /// <summary>Flops of one step's GEMMs (<see cref="DenseGemm.OfStep"/>).</summary>
    public double FlopsPerStep => DenseGemm.OfStep(Name, Widths, Batch).Sum(g => g.Flops);
}

/// <summary>
/// One mini-batch step of an MLP with every op a trainer issues (gather, forward per layer, loss, backward per
/// layer, bias gradients, optimizer step over one flat parameter buffer, the step counter's advance), on buffers
/// allocated once. As in the trainer the step's scalars live on the device: the gather's position and the
/// optimizer's learning rate (and Adam's corrections) come from a step counter and a schedule table (one row per
/// mini-batch of a 2048-image "epoch", <see cref="StepSchedule"/>'s layout), both uploaded once; the counter's
/// mini-batch index is reset at each such epoch's end (one Fill, as the trainer does).
/// </summary>
public sealed class TrainingStepRunner : IDisposable
{
    private const int DatasetRows = 2048;
    private static readonly AdamParameters Adam = new(0.9f, 0.999f, 1e-8f, 0f);
    private readonly IBackend _b;
    private readonly StepConfig _c;
    private readonly List<IDisposable> _owned = [];
    private readonly DeviceBuffer<float> _images, _params, _grads, _m, _v, _loss, _schedule;
    private readonly DeviceBuffer<int> _labels, _indices, _y, _counter;
    private readonly DeviceBuffer<float>[] _acts, _deltas;
    private readonly (int W, int Bias)[] _offsets;
    private readonly int _count, _decay, _stepsPerEpoch;
    private int _t;

    public TrainingStepRunner(IBackend backend, StepConfig config)
    {
        (_b, _c) = (backend, config);
        int[] w = config.Widths;
        int layers = w.Length - 1;
        _offsets = new (int, int)[layers];
        int at = 0;
        for (int l = 0; l < layers; l++) { _offsets[l].W = at; at += w[l + 1] * w[l]; }
        _decay = at;
        for (int l = 0; l < layers; l++) { _offsets[l].Bias = at; at += w[l + 1]; }
        _count = at;
        var random = new Random(1);
        _images = F(DatasetRows * w[0], random, 1f);
        _labels = I(Enumerable.Range(0, DatasetRows).Select(k => k % w[^1]).ToArray());
        _indices = I(Enumerable.Range(0, DatasetRows).OrderBy(_ => random.Next()).ToArray());
        _params = F(_count, random, 0.05f);
        (_grads, _m, _v, _loss) = (F(_count), F(_count), F(_count), F(1));
        _y = I(new int[config.Batch]);
        // The step scalars: counter = (mini-batch in epoch, global step, first non-finite step), and one schedule
        // row (lr, c1, c2) per mini-batch of an epoch over the DatasetRows images (the first epoch's Adam
        // corrections, reused by every later one: the cost of a step does not depend on them).
        _stepsPerEpoch = DatasetRows / config.Batch;
        _counter = I([0, 0, -1]);
        float lr = config.Adam ? 1e-3f : 0.01f;
        var schedule = new float[3 * _stepsPerEpoch];
        for (int s = 0; s < _stepsPerEpoch; s++)
        {
            var (c1, c2) = Adam.Corrections(s + 1);
            (schedule[3 * s], schedule[3 * s + 1], schedule[3 * s + 2]) = (lr, c1, c2);
        }
        _schedule = F(schedule.Length);
        _b.Upload<float>(schedule, _schedule.View());
        _acts = w.Select(width => F(config.Batch * width)).ToArray();
        _deltas = w.Select(width => F(config.Batch * width)).ToArray();
    }

    /// <summary>When set, every op's thread CPU time (seconds) is added here under its name (profiling only:
    /// the bookkeeping allocates).</summary>
    public Dictionary<string, double>? Profile { get; set; }

    private void Op(string name, Action op)
    {
        if (Profile is null)
        {
            op();
            return;
        }
        double start = ThreadClock.Seconds();
        op();
        Profile[name] = Profile.GetValueOrDefault(name) + ThreadClock.Seconds() - start;
    }

    /// <summary>Steps run so far.</summary>
    public int Steps => _t;

    public void Step()
    {
        int[] w = _c.Widths;
        int layers = w.Length - 1, batch = _c.Batch;
        if (_t > 0 && _t % _stepsPerEpoch == 0) Op("epoch", () => _b.Fill(0, _counter.View(0, 1)));
        _t++;
        Op("gather", () => _b.GatherBatch(_images, _labels, _indices, _counter, batch, batch, w[0], _acts[0], _y));
        for (int l = 0; l < layers; l++)
        {
            var act = l < layers - 1 ? _c.Hidden : _c.Quadratic ? Activation.Sigmoid : Activation.Identity;
            int f = l;
            Op($"forward {l}", () => _b.LinearForward(_acts[f], Weight(_params, f), Bias(_params, f), act, batch, w[f],
                w[f + 1], _acts[f + 1]));
        }
        Op("loss", () =>
        {
            if (_c.Quadratic) _b.QuadraticCost(_acts[^1], _y, batch, w[^1], 1f / batch, _deltas[^1], _loss);
            else _b.SoftmaxCrossEntropy(_acts[^1], _y, batch, w[^1], 1f / batch, _deltas[^1], _loss);
        });
        for (int l = layers - 1; l >= 0; l--)
        {
            int b = l;
            Op($"backward-weight {l}", () =>
                _b.LinearBackwardWeight(_acts[b], _deltas[b + 1], batch, w[b], w[b + 1], Weight(_grads, b)));
            Op($"bias {l}", () => _b.BiasBackward(_deltas[b + 1], batch, w[b + 1], Bias(_grads, b)));
            if (l == 0) continue;
            Op($"backward-input {l}", () =>
                _b.LinearBackwardInput(_deltas[b + 1], Weight(_params, b), batch, w[b], w[b + 1], _deltas[b]));
            Op($"activation {l}",
                () => _b.ActivationBackward(_acts[b], _deltas[b], _c.Hidden, batch * w[b], _deltas[b]));
        }
        Op("optimizer", () =>
        {
            if (_c.Adam)
                _b.AdamStep(_grads, _count, _decay, Adam, _schedule, _counter, _m, _v, _params);
            else _b.SgdStep(_grads, _count, _decay, _schedule, _counter, 0f, _params);
        });
        Op("advance", () => _b.AdvanceStep(_counter, _loss));
        _b.Synchronize();
    }

    /// <summary>Counts of non-finite and subnormal values in the activations, gradients and parameters — a
    /// benchmark whose numbers turn subnormal measures the CPU's microcode assists, not the kernels.</summary>
    public string Health()
    {
        int nonFinite = 0, subnormal = 0;
        foreach (var buffer in _acts.Concat(_deltas).Append(_params).Append(_grads))
        {
            var host = new float[buffer.Length];
            _b.Download(buffer.View(), host);
            nonFinite += host.Count(v => !float.IsFinite(v));
            subnormal += host.Count(float.IsSubnormal);
        }
        var loss = new float[1];
        _b.Download(_loss.View(), loss);
        var counter = new int[3];
        _b.Download(_counter.View(), counter);
        return $"non-finite {nonFinite}, subnormal {subnormal}, loss sum {loss[0]:g4}, device step counter " +
               $"{counter[1]}" + (counter[2] >= 0 ? $", loss not finite from step {counter[2]}" : "");
    }

    private BufferView<float> Weight(DeviceBuffer<float> flat, int l) =>
        flat.View(_offsets[l].W, _c.Widths[l + 1] * _c.Widths[l]);

    private BufferView<float> Bias(DeviceBuffer<float> flat, int l) => flat.View(_offsets[l].Bias, _c.Widths[l + 1]);

    private DeviceBuffer<float> F(int length, Random? random = null, float scale = 0)
    {
        var buffer = _b.Allocate<float>(length);
        _owned.Add(buffer);
        if (random is not null)
            _b.Upload<float>(Enumerable.Range(0, length).Select(_ => (random.NextSingle() * 2 - 1) * scale).ToArray(),
                buffer.View());
        return buffer;
    }

    private DeviceBuffer<int> I(int[] data)
    {
        var buffer = _b.Allocate<int>(data.Length);
        _owned.Add(buffer);
        _b.Upload<int>(data, buffer.View());
        return buffer;
    }

    public void Dispose()
    {
        foreach (var d in _owned) d.Dispose();
    }
}
