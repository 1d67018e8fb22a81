using Digits.Core.Backends;
using Digits.Cpu;
using Digits.Gpu;
using Digits.Tests.Support;
using Xunit;
using static Digits.Tests.Support.Close;

namespace Digits.Tests.Kernels;

/// <summary>
/// Every op of <see cref="IBackend"/> against <see cref="ReferenceBackend"/>, written once and made concrete
/// per backend (docs/ARCHITECTURE.md, "Tests written once per backend"): awkward sizes (0, 1, 7, 31, 257, 784 and
/// sizes that are not a multiple of any tile), batch 1, batches larger than one work-group, views at non-zero offsets
/// with sentinels around them.
/// </summary>
public abstract partial class KernelTests
{
    /// <summary>The device under test, as <c>--device</c> spells it.</summary>
    protected abstract string Device { get; }

    private IBackend Backend => TestBackends.Get(Device);

    /// <summary>The tolerance of an op whose CUDA PTX holds approximate instructions (exp as ex2.approx.f32, log as
    /// lg2.approx.f32): <paramref name="tolerance"/> as it is, widened on CUDA (<see cref="CudaKernelTests"/>) by
    /// the instructions' bound (<see cref="CudaApproximations"/>), <paramref name="relative"/> on every element and
    /// <paramref name="absolute"/> besides.</summary>
    protected virtual Tolerance WithApproximations(Tolerance tolerance, double relative, double absolute = 0) => tolerance;

    /// <summary>What CUDA's exp adds to the forward GEMM's activation (none for identity and relu).</summary>
    private static double ApproximationOf(Activation activation) => activation switch
    {
        Activation.Sigmoid => CudaApproximations.SigmoidExtra,
        Activation.Tanh => CudaApproximations.TanhExtra,
        _ => 0,
    };

    /// <summary>The logits' spread in the softmax tests: Uniform(−8, 8) (a logit of 1000 leaves every other term of
    /// its row at e^−992, 0 on every device).</summary>
    private const double LogitSpread = 16;

    /// <summary>(B, I, O) shapes for the GEMM-shaped ops.</summary>
    public static TheoryData<int, int, int> GemmShapes => new()
    {
        { 0, 5, 3 }, { 3, 0, 5 }, { 5, 3, 0 }, { 1, 1, 1 }, { 1, 784, 10 }, { 7, 31, 257 }, { 31, 257, 7 },
        { 257, 7, 31 }, { 2, 3, 2 }, { 65, 784, 33 }, { 128, 784, 128 }, { 300, 129, 10 }, { 17, 1000, 65 },
    };

    public static TheoryData<int> Counts => new() { 0, 1, 7, 31, 257, 784, 4099 };

    public static TheoryData<int, int> RowShapes => new()
    {
        { 0, 10 }, { 1, 1 }, { 1, 10 }, { 7, 3 }, { 31, 10 }, { 257, 10 }, { 300, 257 }, { 1024, 10 },
    };

    private static IEnumerable<Activation> Activations => Enum.GetValues<Activation>();

    [Theory]
    [MemberData(nameof(GemmShapes))]
    public void LinearForward_matches_reference(int batch, int inputs, int outputs)
    {
        var random = new Random(batch * 1000 + inputs * 10 + outputs);
        float[] x = TestData.Uniform(random, batch * inputs), w = TestData.Uniform(random, outputs * inputs),
            b = TestData.Uniform(random, outputs);
        foreach (var activation in Activations)
        {
            float[] expected = Run(new ReferenceBackend(), r => r.Put(new float[batch * outputs], "y"),
                (r, y) => r.Backend.LinearForward(r.Put(x), r.Put(w), r.Put(b), activation, batch, inputs, outputs, y));
            float[] actual = Run(Backend, r => r.Put(new float[batch * outputs], "y"),
                (r, y) => r.Backend.LinearForward(r.Put(x), r.Put(w), r.Put(b), activation, batch, inputs, outputs, y));
            AssertClose(expected, actual, WithApproximations(Tolerance.Sum(inputs + 1), ApproximationOf(activation)),
                $"y ({activation}, {batch}×{inputs}→{outputs})");
        }
    }

    [Theory]
    [MemberData(nameof(GemmShapes))]
    public void LinearBackwardInput_matches_reference(int batch, int inputs, int outputs)
    {
        var random = new Random(batch * 1000 + inputs * 10 + outputs + 1);
        float[] dz = TestData.Uniform(random, batch * outputs), w = TestData.Uniform(random, outputs * inputs);
        float[] Go(IBackend be) => Run(be, r => r.Put(TestData.Uniform(new Random(1), batch * inputs), "dx"),
            (r, dx) => r.Backend.LinearBackwardInput(r.Put(dz), r.Put(w), batch, inputs, outputs, dx));
        AssertClose(Go(new ReferenceBackend()), Go(Backend), Tolerance.Sum(outputs), $"dx ({batch},{inputs},{outputs})");
    }

    [Theory]
    [MemberData(nameof(GemmShapes))]
    public void LinearBackwardWeight_matches_reference(int batch, int inputs, int outputs)
    {
        var random = new Random(batch * 1000 + inputs * 10 + outputs + 2);
        float[] x = TestData.Uniform(random, batch * inputs), dz = TestData.Uniform(random, batch * outputs);
        float[] Go(IBackend be) => Run(be, r => r.Put(TestData.Uniform(new Random(2), outputs * inputs), "dW"),
            (r, dw) => r.Backend.LinearBackwardWeight(r.Put(x), r.Put(dz), batch, inputs, outputs, dw));
        AssertClose(Go(new ReferenceBackend()), Go(Backend), Tolerance.Sum(batch), $"dW ({batch},{inputs},{outputs})");
    }

    [Theory]
    [MemberData(nameof(RowShapes))]
    public void BiasBackward_matches_reference(int batch, int outputs)
    {
        float[] dz = TestData.Uniform(new Random(batch + outputs), batch * outputs);
        float[] Go(IBackend be) => Run(be, r => r.Put(TestData.Uniform(new Random(3), outputs), "db"),
            (r, db) => r.Backend.BiasBackward(r.Put(dz), batch, outputs, db));
        AssertClose(Go(new ReferenceBackend()), Go(Backend), Tolerance.Sum(batch), $"db ({batch},{outputs})");
    }

    [Theory]
    [MemberData(nameof(Counts))]
    public void ActivationBackward_matches_reference(int count)
    {
        var random = new Random(count + 4);
        float[] dy = TestData.Uniform(random, count);
        foreach (var activation in Activations)
        {
            // y drawn from the activation's range, with exact zeros for relu's kink.
            float[] y = TestData.Uniform(random, count, activation == Activation.Sigmoid ? 0f : -1f, 1f);
            if (activation == Activation.Relu) for (int k = 0; k < count; k += 3) y[k] = 0f;
            float[] Go(IBackend be) => Run(be, r => r.Put(new float[count], "dz"),
                (r, dz) => r.Backend.ActivationBackward(r.Put(y), r.Put(dy), activation, count, dz));
            AssertClose(Go(new ReferenceBackend()), Go(Backend), Tolerance.Elementwise, $"dz ({activation}, {count})");

            // In place: dz is dy itself.
            float[] InPlace(IBackend be) => Run(be, r => r.Put(dy, "dy"),
                (r, d) => r.Backend.ActivationBackward(r.Put(y), d, activation, count, d));
            AssertClose(Go(new ReferenceBackend()), InPlace(Backend), Tolerance.Elementwise, $"dz in place ({activation})");
        }
    }

    [Theory]
    [MemberData(nameof(RowShapes))]
    public void SoftmaxCrossEntropy_matches_reference(int batch, int classes)
    {
        var random = new Random(batch * 7 + classes);
        float[] logits = TestData.Uniform(random, batch * classes, -8f, 8f);
        if (batch > 0) logits[0] = 1000f; // a logit that overflows exp() unless the max is subtracted
        int[] labels = TestData.Labels(random, batch, classes);
        float scale = batch == 0 ? 0 : 1f / batch;
        (float[] d, float[] loss) Go(IBackend be)
        {
            using var r = new Rig(be);
            var dLogits = r.Put(new float[batch * classes], "dLogits");
            var lossSum = r.Put([0.5f], "lossSum");
            be.SoftmaxCrossEntropy(r.Put(logits), r.Put(labels), batch, classes, scale, dLogits, lossSum);
            r.AssertNoStrayWrites();
            return (r.Take(dLogits), r.Take(lossSum));
        }
        var (ed, el) = Go(new ReferenceBackend());
        var (ad, al) = Go(Backend);
        double softmax = CudaApproximations.SoftmaxExtra(LogitSpread, classes);
        AssertClose(ed, ad, WithApproximations(Tolerance.Elementwise, softmax, softmax * scale), "dLogits");
        AssertClose(el, al, WithApproximations(Tolerance.Sum(batch * 4), 0,
            batch * CudaApproximations.LogSumExpExtra(LogitSpread, classes)), "lossSum (accumulated onto 0.5)");
        Assert.All(ad, v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [MemberData(nameof(RowShapes))]
    public void QuadraticCost_matches_reference(int batch, int classes)
    {
        var random = new Random(batch * 11 + classes);
        float[] outputs = TestData.Uniform(random, batch * classes, 0f, 1f);
        int[] labels = TestData.Labels(random, batch, classes);
        (float[] d, float[] loss) Go(IBackend be)
        {
            using var r = new Rig(be);
            var dPre = r.Put(new float[batch * classes], "dPre");
            var lossSum = r.Put([1.25f], "lossSum");
            be.QuadraticCost(r.Put(outputs), r.Put(labels), batch, classes, 0.1f, dPre, lossSum);
            r.AssertNoStrayWrites();
            return (r.Take(dPre), r.Take(lossSum));
        }
        var (ed, el) = Go(new ReferenceBackend());
        var (ad, al) = Go(Backend);
        AssertClose(ed, ad, Tolerance.Elementwise, "dPre");
        AssertClose(el, al, Tolerance.Sum(batch * classes), "lossSum");
    }

    [Theory]
    [MemberData(nameof(RowShapes))]
    public void Argmax_and_CountCorrect_match_reference(int batch, int classes)
    {
        var random = new Random(batch * 13 + classes);
        float[] scores = TestData.Uniform(random, batch * classes);
        // Ties: rows whose two first entries are equal maxima must pick the first.
        for (int b = 0; b < batch && classes > 1; b += 4) scores[b * classes] = scores[b * classes + 1] = 2f;
        int[] labels = TestData.Labels(random, batch, classes);
        (int[] p, int[] c) Go(IBackend be)
        {
            using var r = new Rig(be);
            var predictions = r.Put(new int[batch], "predictions");
            var correct = r.Put([3], "correct");
            var s = r.Put(scores);
            be.Argmax(s, batch, classes, predictions);
            be.CountCorrect(s, r.Put(labels), batch, classes, correct);
            r.AssertNoStrayWrites();
            return (r.Take(predictions), r.Take(correct));
        }
        var (ep, ec) = Go(new ReferenceBackend());
        var (ap, ac) = Go(Backend);
        AssertEqual(ep, ap, "predictions");
        AssertEqual(ec, ac, "correct (accumulated onto 3)");
    }

    [Theory]
    [InlineData(0, 784)]
    [InlineData(1, 784)]
    [InlineData(7, 5)]
    [InlineData(257, 784)]
    public void GatherBatch_matches_reference(int batch, int features)
    {
        const int rows = 300, stride = 11; // counter[0] = 1: the gather starts at position 11
        var random = new Random(batch + features);
        float[] images = TestData.Uniform(random, rows * features, 0f, 1f);
        int[] labels = TestData.Labels(random, rows, 10);
        int[] indices = Enumerable.Range(0, rows).OrderBy(_ => random.Next()).ToArray();
        (float[] x, int[] y) Go(IBackend be)
        {
            using var r = new Rig(be);
            var x = r.Put(new float[batch * features], "x");
            var y = r.Put(new int[batch], "y");
            be.GatherBatch(r.Put(images), r.Put(labels), r.Put(indices), r.Put([1]), stride, batch, features, x, y);
            r.AssertNoStrayWrites();
            return (r.Take(x), r.Take(y));
        }
        var (ex, ey) = Go(new ReferenceBackend());
        var (ax, ay) = Go(Backend);
        AssertClose(ex, ax, Tolerance.Exact, "x");
        AssertEqual(ey, ay, "y");
    }

    [Theory]
    [MemberData(nameof(Counts))]
    public void Optimizer_steps_match_reference(int count)
    {
        var random = new Random(count + 5);
        float[] p0 = TestData.Uniform(random, count), v0 = TestData.Uniform(random, count, 0f, 0.01f);
        float[][] grads = [TestData.Uniform(random, count), TestData.Uniform(random, count), TestData.Uniform(random, count)];
        int decay = count * 2 / 3;
        // One schedule row per step: lr, and Adam's bias corrections for t = 1, 2, 3.
        var table = new float[3 * grads.Length];
        var adam = new AdamParameters(0.9f, 0.999f, 1e-8f, 0.01f);
        for (int t = 1; t <= grads.Length; t++)
        {
            var (c1, c2) = adam.Corrections(t);
            (table[3 * t - 3], table[3 * t - 2], table[3 * t - 1]) = (0.1f, c1, c2);
        }
        (float[], float[], float[]) Go(IBackend be, string which)
        {
            using var r = new Rig(be);
            var p = r.Put(p0, "parameters");
            var m = r.Put(TestData.Uniform(new Random(9), count, -0.01f, 0.01f), "m");
            var v = r.Put(v0, "v");
            var schedule = r.Put(table, "schedule");
            var counter = r.Put([0], "counter");
            for (int t = 1; t <= grads.Length; t++)
            {
                var g = r.Put(grads[t - 1]);
                be.Upload<int>([t - 1], counter);
                switch (which)
                {
                    case "sgd": be.SgdStep(g, count, decay, schedule, counter, 0.01f, p); break;
                    case "momentum": be.MomentumStep(g, count, decay, schedule, counter, 0.9f, 0.01f, m, p); break;
                    default: be.AdamStep(g, count, decay, adam, schedule, counter, m, v, p); break;
                }
            }
            r.AssertNoStrayWrites();
            return (r.Take(p), r.Take(m), r.Take(v));
        }
        foreach (string which in new[] { "sgd", "momentum", "adam" })
        {
            var (ep, em, ev) = Go(new ReferenceBackend(), which);
            var (ap, am, av) = Go(Backend, which);
            AssertClose(ep, ap, Tolerance.Optimizer, $"{which} parameters");
            AssertClose(em, am, Tolerance.Optimizer, $"{which} m/velocity");
            AssertClose(ev, av, Tolerance.Optimizer, $"{which} v");
        }
    }

    [Theory]
    [InlineData(1, 784)]
    [InlineData(7, 5)]
    [InlineData(64, 784)]
    public void GatherBatch_follows_the_counter_as_it_advances(int batch, int features)
    {
        const int rows = 300;
        var random = new Random(batch + features + 3);
        float[] images = TestData.Uniform(random, rows * features, 0f, 1f);
        int[] labels = TestData.Labels(random, rows, 10);
        int[] indices = Enumerable.Range(0, rows).OrderBy(_ => random.Next()).ToArray();
        int steps = Math.Min(4, rows / batch);
        using var r = new Rig(Backend);
        var counter = r.Put([0, 17, -1], "counter");
        var loss = r.Put([0f], "loss");
        var x = r.Put(new float[batch * features], "x");
        var y = r.Put(new int[batch], "y");
        BufferView<float> img = r.Put(images);
        BufferView<int> lab = r.Put(labels), idx = r.Put(indices);
        for (int s = 0; s < steps; s++)
        {
            Backend.GatherBatch(img, lab, idx, counter, batch, batch, features, x, y);
            var (ex, ey) = DirectGather(images, labels, indices, s * batch, batch, features);
            AssertClose(ex, r.Take(x), Tolerance.Exact, $"x at step {s}");
            AssertEqual(ey, r.Take(y), $"y at step {s}");
            Backend.AdvanceStep(counter, loss);
        }
        AssertEqual([steps, 17 + steps, -1], r.Take(counter), "counter");
        // An epoch's last, partial mini-batch: fewer rows than the stride, from counter[0]·stride.
        if (batch > 1)
        {
            int part = batch / 2;
            var xp = x.Slice(0, part * features);
            var yp = y.Slice(0, part);
            Backend.GatherBatch(img, lab, idx, counter, batch, part, features, xp, yp);
            var (px, py) = DirectGather(images, labels, indices, steps * batch, part, features);
            AssertClose(px, r.Take(xp), Tolerance.Exact, "x of the partial mini-batch");
            AssertEqual(py, r.Take(yp), "y of the partial mini-batch");
        }
        r.AssertNoStrayWrites();
    }

    [Fact]
    public void AdvanceStep_increments_both_counters()
    {
        using var r = new Rig(Backend);
        var counter = r.Put([3, 10, -1], "counter");
        var loss = r.Put([1.5f], "loss");
        long before = Backend.Launches;
        Backend.AdvanceStep(counter, loss);
        Backend.AdvanceStep(counter, loss);
        Assert.Equal(2, Backend.Launches - before);
        AssertEqual([5, 12, -1], r.Take(counter), "counter");
        Backend.Fill(0, counter.Slice(0, 1));
        AssertEqual([0, 12, -1], r.Take(counter), "counter after resetting the epoch's batch index");
        r.AssertNoStrayWrites();
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void AdvanceStep_records_the_first_step_whose_loss_sum_is_not_finite(float bad)
    {
        using var r = new Rig(Backend);
        var counter = r.Put([0, 40, -1], "counter");
        var loss = r.Put([float.MaxValue], "loss"); // large but finite: not a divergence
        Backend.AdvanceStep(counter, loss);
        AssertEqual([1, 41, -1], r.Take(counter), "counter after a finite loss");
        Backend.Upload<float>([bad], loss);
        Backend.AdvanceStep(counter, loss);
        AssertEqual([2, 42, 41], r.Take(counter), $"counter after a {bad} loss sum at step 41");
        Backend.Upload<float>([0.5f], loss);
        Backend.AdvanceStep(counter, loss);
        Backend.Upload<float>([bad], loss);
        Backend.AdvanceStep(counter, loss);
        AssertEqual([4, 44, 41], r.Take(counter), "the first divergent step is kept");
        r.AssertNoStrayWrites();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(257)]
    [InlineData(4099)]
    public void Optimizer_steps_read_their_schedule_row_at_the_device_counter(int count)
    {
        var random = new Random(count + 11);
        float[] p0 = TestData.Uniform(random, count), m0 = TestData.Uniform(random, count, -0.01f, 0.01f),
            v0 = TestData.Uniform(random, count, 0f, 0.01f);
        const int steps = 4, first = 2; // the schedule has 6 rows; the counter starts at row 2 (global step 40)
        float[][] grads = Enumerable.Range(0, steps).Select(_ => TestData.Uniform(random, count)).ToArray();
        float[] lrs = [0.1f, 0.05f, 0.02f, 0.01f, 0.005f, 0.002f];
        var schedule = new float[3 * lrs.Length];
        for (int t = 0; t < lrs.Length; t++)
        {
            var (c1, c2) = new AdamParameters(0.9f, 0.999f, 1e-8f, 0.01f).Corrections(t + 39);
            (schedule[3 * t], schedule[3 * t + 1], schedule[3 * t + 2]) = (lrs[t], c1, c2);
        }
        int decay = count * 2 / 3;
        (float[], float[], float[]) Go(IBackend be, string which)
        {
            using var r = new Rig(be);
            var p = r.Put(p0, "parameters");
            var m = r.Put(m0, "m");
            var v = r.Put(v0, "v");
            var table = r.Put(schedule, "schedule");
            var counter = r.Put([first, 40, -1], "counter");
            var loss = r.Put([0f], "loss");
            var adam = new AdamParameters(0.9f, 0.999f, 1e-8f, 0.01f);
            for (int s = 0; s < steps; s++)
            {
                var g = r.Put(grads[s]);
                switch (which)
                {
                    case "sgd": be.SgdStep(g, count, decay, table, counter, 0.01f, p); break;
                    case "momentum": be.MomentumStep(g, count, decay, table, counter, 0.9f, 0.01f, m, p); break;
                    default: be.AdamStep(g, count, decay, adam, table, counter, m, v, p); break;
                }
                be.AdvanceStep(counter, loss);
            }
            AssertEqual([first + steps, 40 + steps, -1], r.Take(counter), "counter");
            r.AssertNoStrayWrites();
            return (r.Take(p), r.Take(m), r.Take(v));
        }
        foreach (string which in new[] { "sgd", "momentum", "adam" })
        {
            // The expected values computed here from the rows the counter selects, independently of any backend.
            float[] ep = (float[])p0.Clone(), em = (float[])m0.Clone(), ev = (float[])v0.Clone();
            for (int s = 0; s < steps; s++)
            {
                int row = first + s;
                float lr = schedule[3 * row], c1 = schedule[3 * row + 1], c2 = schedule[3 * row + 2];
                for (int k = 0; k < count; k++)
                {
                    float g = grads[s][k] + (k < decay ? 0.01f * ep[k] : 0f);
                    switch (which)
                    {
                        case "sgd": ep[k] -= lr * g; break;
                        case "momentum": em[k] = 0.9f * em[k] + g; ep[k] -= lr * em[k]; break;
                        default:
                            em[k] = 0.9f * em[k] + (1 - 0.9f) * g;
                            ev[k] = 0.999f * ev[k] + (1 - 0.999f) * g * g;
                            ep[k] -= lr * (em[k] * c1) / (MathF.Sqrt(ev[k] * c2) + 1e-8f);
                            break;
                    }
                }
            }
            var (ap, am, av) = Go(Backend, which);
            AssertClose(ep, ap, Tolerance.Optimizer, $"{which} parameters");
            AssertClose(em, am, Tolerance.Optimizer, $"{which} m/velocity");
            AssertClose(ev, av, Tolerance.Optimizer, $"{which} v");
        }
    }

    [Fact]
    public void Device_driven_ops_refuse_short_tables()
    {
        using var r = new Rig(Backend);
        var g = r.Put(new float[4]);
        var none = r.Put(Array.Empty<int>());
        var ex = Assert.Throws<ArgumentException>(() => Backend.SgdStep(g, 4, 0, r.Put(new float[3]), none, 0f, g));
        Assert.Contains("counter holds 0 elements; the op needs 1", ex.Message);
        ex = Assert.Throws<ArgumentException>(() =>
            Backend.SgdStep(g, 4, 0, r.Put(new float[4]), r.Put([0, 0]), 0f, g));
        Assert.Contains("not (steps, 3)", ex.Message);
        Assert.Throws<ArgumentException>(() => Backend.AdvanceStep(r.Put([0, 0]), r.Put([0f])));
    }

    /// <summary>The gather computed on the host from its definition.</summary>
    private static (float[] X, int[] Y) DirectGather(float[] images, int[] labels, int[] indices, int start, int batch,
        int features)
    {
        var x = new float[batch * features];
        var y = new int[batch];
        for (int r = 0; r < batch; r++)
        {
            int n = indices[start + r];
            Array.Copy(images, n * features, x, r * features, features);
            y[r] = labels[n];
        }
        return (x, y);
    }

    [Fact]
    public void Known_answer_2x3_times_3x2()
    {
        // x = [[1,2,3],[4,5,6]], W = [[1,0,−1],[2,1,0]] (O=2, I=3), b = [0.5, −1]:
        // y = [[1−3+0.5, 2+2−1], [4−6+0.5, 8+5−1]] = [[−1.5, 3], [−1.5, 12]].
        using var r = new Rig(Backend);
        var y = r.Put(new float[4], "y");
        Backend.LinearForward(r.Put([1f, 2, 3, 4, 5, 6]), r.Put([1f, 0, -1, 2, 1, 0]), r.Put([0.5f, -1]),
            Activation.Identity, 2, 3, 2, y);
        AssertClose([-1.5f, 3f, -1.5f, 12f], r.Take(y), Tolerance.Elementwise, "y");
        Backend.LinearForward(r.Put([1f, 2, 3, 4, 5, 6]), r.Put([1f, 0, -1, 2, 1, 0]), r.Put([0.5f, -1]),
            Activation.Relu, 2, 3, 2, y);
        AssertClose([0f, 3f, 0f, 12f], r.Take(y), Tolerance.Elementwise, "relu(y)");
        r.AssertNoStrayWrites();
    }

    [Fact]
    public void Known_answer_softmax_of_fixed_logits()
    {
        // logits [0, ln 2, ln 3]: softmax = [1/6, 2/6, 3/6]; label 2 → loss = −ln(1/2) = ln 2;
        // dLogits = softmax − onehot = [1/6, 1/3, −1/2].
        using var r = new Rig(Backend);
        var d = r.Put(new float[3], "dLogits");
        var loss = r.Put([0f], "loss");
        Backend.SoftmaxCrossEntropy(r.Put([0f, MathF.Log(2), MathF.Log(3)]), r.Put([2]), 1, 3, 1f, d, loss);
        double softmax = CudaApproximations.SoftmaxExtra(MathF.Log(3), 3);
        AssertClose([1f / 6, 1f / 3, -0.5f], r.Take(d), WithApproximations(Tolerance.Elementwise, softmax, softmax),
            "dLogits");
        AssertClose([MathF.Log(2)], r.Take(loss),
            WithApproximations(Tolerance.Elementwise, 0, CudaApproximations.LogSumExpExtra(MathF.Log(3), 3)), "loss");
    }

    [Fact]
    public void Too_short_views_are_refused()
    {
        using var r = new Rig(Backend);
        var small = r.Put(new float[3]);
        var ex = Assert.Throws<ArgumentException>(() =>
            Backend.LinearForward(small, small, small, Activation.Relu, 2, 2, 2, small));
        Assert.Contains("x holds 3 elements; the op needs 4", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Backend.LinearForward(small, small, small, Activation.Relu, -1, 2, 2, small));
        using var other = new ReferenceBackend();
        using var foreign = other.Allocate<float>(10);
        if (Device != "reference")
            Assert.Throws<ArgumentException>(() => Backend.Fill(0f, foreign.View()));
    }

    /// <summary>Ten steps compound each op's rounding; a wrong op moves the loss by far more (≥ 1e-2).</summary>
    private static readonly Tolerance Trajectory = new(2e-5, 2e-4);

    [Theory]
    [InlineData("relu-ce-adam")]
    [InlineData("sigmoid-mse-sgd")]
    [InlineData("tanh-ce-momentum")]
    public void Golden_trajectory_matches_the_recorded_losses(string name)
    {
        var c = GoldenTrajectory.Cases.Single(k => k.Name == name);
        AssertClose(GoldenTrajectory.Expected[name], GoldenTrajectory.Run(Backend, c), Trajectory, $"losses of {name}");
    }

    private static float[] Run(IBackend be, Func<Rig, BufferView<float>> destination, Action<Rig, BufferView<float>> op)
    {
        using var r = new Rig(be);
        var d = destination(r);
        op(r, d);
        r.AssertNoStrayWrites();
        return r.Take(d);
    }
}

/// <summary>The reference against itself through the same harness: proves the harness (padding, views) and
/// the known answers hold for the oracle.</summary>
public sealed class ReferenceKernelTests : KernelTests
{
    protected override string Device => "reference";
}
