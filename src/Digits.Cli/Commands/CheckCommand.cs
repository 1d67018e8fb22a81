using Digits.Cli.Verbs;
using Digits.Core.Backends;
using Digits.Core.Training;
using Digits.Cpu;
using Digits.Gpu;

namespace Digits.Cli.Commands;

/// <summary>
/// <c>digits check</c>: every kernel on the chosen device against <see cref="ReferenceBackend"/> on random data at
/// awkward sizes (B = 257, I = 785, O = 129: no multiple of any tile; on ilgpu-cpu, which runs one OS thread per GPU
/// thread, B = 67, I = 97, O = 33: still past one 64×64 tile and not a multiple of a 16-deep k step), one line per
/// kernel with the largest absolute and relative error and pass/fail. Exit code 1 if any kernel fails.
/// <para>On CUDA the ops whose PTX holds approximate instructions (exp as <c>ex2.approx.f32</c> in sigmoid, tanh and
/// softmax; log as <c>lg2.approx.f32</c>) get their tolerance widened by the bound of <see cref="CudaApproximations"/>,
/// so no tolerance is tighter than what those instructions may err by.</para>
/// </summary>
internal sealed class CheckCommand(CheckVerb verb, TextWriter stdout, TextWriter stderr)
{
    private const int C = 10;
    private int B = 257, I = 785, O = 129;

    /// <summary>Allowed error of a float sum of n terms of magnitude ≤ 1 (about 2 ε per term, as the tests use).</summary>
    private static (double Atol, double Rtol) Sum(int n) => (1e-6 + 2.4e-7 * n, 1e-5);

    private static readonly (double, double) Elementwise = (2e-6, 2e-5);

    /// <summary>The logits' spread: Uniform(−8, 8).</summary>
    private const double LogitSpread = 16;

    private bool _cuda;

    /// <summary><paramref name="tolerance"/> widened on CUDA by <paramref name="relative"/> (and
    /// <paramref name="absolute"/>), the approximate instructions' bound; as it is elsewhere.</summary>
    private (double Atol, double Rtol) OnCuda((double Atol, double Rtol) tolerance, double relative, double absolute = 0) =>
        _cuda ? (tolerance.Atol + absolute, tolerance.Rtol + relative) : tolerance;

    /// <summary>The backends compared while <see cref="Run()"/> runs: the oracle and the chosen device.</summary>
    private IBackend _reference = null!, _device = null!;

    private ulong Seed => (ulong)(verb.Seed ?? 1);

    public int Run()
    {
        using var device = DeviceSelector.Open(verb.Device, null);
        if (device.Backend is Digits.Gpu.IlgpuBackend { Kind: Digits.Gpu.GpuKind.IlgpuCpu }) (B, I, O) = (67, 97, 33);
        _cuda = device.Backend is Digits.Gpu.IlgpuBackend { Kind: Digits.Gpu.GpuKind.Cuda };
        using var reference = new ReferenceBackend();
        (_reference, _device) = (reference, device.Backend);
        stdout.WriteLine($"checking {device.Backend.Name} against the reference at B={B}, I={I}, O={O}: {device.Explanation}");
        var data = new Inputs(new SeededRandom(Seed), B, I, O);
        int failures;
        try
        {
            failures = CheckLinear(data) + CheckLosses(data) + CheckIndexing(data) + CheckOptimizers(data)
                + CheckRegularization(data) + CheckAugment(data);
        }
        catch (Exception e) when (DeviceSelector.IsDeviceFailure(e))
        {
            stderr.WriteLine($"digits: {device.Backend.Name} failed: {FlagNames.Speak(e.Message)}");
            return ExitCodes.RuntimeFailure;
        }
        stdout.WriteLine(failures == 0 ? "all kernels agree with the reference" : $"{failures} kernel(s) disagree with the reference");
        return failures == 0 ? ExitCodes.Success : ExitCodes.RuntimeFailure;
    }

    /// <summary>The random inputs every kernel is checked on, drawn from the seed in this order (the order fixes the
    /// values a seed gives).</summary>
    private sealed class Inputs
    {
        private readonly SeededRandom _random;

        public float[] X { get; }
        public float[] W { get; }
        public float[] Bias { get; }
        public float[] Dz { get; }
        public float[] Logits { get; }
        public float[] Probs { get; }
        public float[] Hidden { get; }
        public int[] Labels { get; }
        public int[] Perm { get; }
        public float[] P { get; }
        public float[] G { get; }
        public float[] M { get; }
        public float[] V { get; }

        /// <summary>min(B, 16) 28×28 images for augmentation.</summary>
        public float[] Images { get; }

        public Inputs(SeededRandom random, int b, int i, int o)
        {
            _random = random;
            (X, W, Bias, Dz) = (Uniform(b * i, 0, 1), Uniform(o * i), Uniform(o), Uniform(b * o));
            (Logits, Probs, Hidden) = (Uniform(b * C, -8, 8), Uniform(b * C, 0, 1), Uniform(b * o, 0, 1));
            Labels = Enumerable.Range(0, b).Select(_ => random.NextInt(C)).ToArray();
            Perm = Enumerable.Range(0, b).Reverse().ToArray();
            (P, G, M, V) = (Uniform(4099), Uniform(4099), Uniform(4099, -0.01f, 0.01f), Uniform(4099, 0, 0.01f));
            Images = Uniform(Math.Min(b, 16) * 784, 0, 1);
        }

        private float[] Uniform(int n, float lo = -1, float hi = 1)
        {
            var v = new float[n];
            for (int k = 0; k < n; k++) v[k] = lo + (hi - lo) * (float)_random.NextDouble();
            return v;
        }
    }

    /// <summary>Linear forward with each activation, its three backward GEMMs and the activations' gradients.</summary>
    private int CheckLinear(Inputs d)
    {
        int failures = 0;
        foreach (var act in Enum.GetValues<Activation>())
            failures += Compare($"linear_forward ({act.Name()})", OnCuda(Sum(I + 1), ForwardExtra(act)), be =>
                Run(be, [d.X, d.W, d.Bias], [], B * O, (t, _, y) => be.LinearForward(t[0], t[1], t[2], act, B, I, O, y)));
        failures += Compare("linear_backward_input", Sum(O), be =>
            Run(be, [d.Dz, d.W], [], B * I, (t, _, y) => be.LinearBackwardInput(t[0], t[1], B, I, O, y)));
        failures += Compare("linear_backward_weight", Sum(B), be =>
            Run(be, [d.X, d.Dz], [], O * I, (t, _, y) => be.LinearBackwardWeight(t[0], t[1], B, I, O, y)));
        failures += Compare("bias_backward", Sum(B), be =>
            Run(be, [d.Dz], [], O, (t, _, y) => be.BiasBackward(t[0], B, O, y)));
        foreach (var act in new[] { Activation.Relu, Activation.Sigmoid, Activation.Tanh })
            failures += Compare($"activation_backward ({act.Name()})", Elementwise, be =>
                Run(be, [d.Hidden, d.Dz], [], B * O, (t, _, y) => be.ActivationBackward(t[0], t[1], act, B * O, y)));
        return failures;
    }

    /// <summary>The relative error CUDA's approximate exp may add to <paramref name="act"/>.</summary>
    private static double ForwardExtra(Activation act) => act switch
    {
        Activation.Sigmoid => CudaApproximations.SigmoidExtra,
        Activation.Tanh => CudaApproximations.TanhExtra,
        _ => 0,
    };

    /// <summary>Softmax + cross-entropy and the quadratic cost: the gradient and the accumulated loss.</summary>
    private int CheckLosses(Inputs d)
    {
        double softmax = CudaApproximations.SoftmaxExtra(LogitSpread, C);
        int failures = Compare("softmax_cross_entropy", OnCuda(Elementwise, softmax, softmax / B), be =>
            Run(be, [d.Logits, [0f]], [d.Labels], B * C, (t, l, y) =>
                be.SoftmaxCrossEntropy(t[0], l[0], B, C, 1f / B, y, t[1]), lossIndex: 1),
            loss: OnCuda(Elementwise, 0, B * CudaApproximations.LogSumExpExtra(LogitSpread, C)));
        failures += Compare("quadratic_cost", Elementwise, be =>
            Run(be, [d.Probs, [0f]], [d.Labels], B * C, (t, l, y) =>
                be.QuadraticCost(t[0], l[0], B, C, 1f / B, y, t[1]), lossIndex: 1));
        return failures;
    }

    /// <summary>The kernels that index: gathering a mini-batch, argmax and counting correct predictions.</summary>
    private int CheckIndexing(Inputs d)
    {
        int failures = Compare("gather_batch", (0, 0), be =>
            Run(be, [d.X], [d.Labels, d.Perm, new int[B / 2]], B / 2 * I, (t, l, y) =>
                be.GatherBatch(t[0], l[0], l[1], l[3], 7, B / 2, I, y, l[2]), extraInts: [[1]]));
        failures += CompareInts("argmax", be => RunInts(be, d.Logits, d.Labels, B, (s, l, o) => be.Argmax(s, B, C, o)));
        failures += CompareInts("count_correct", be => RunInts(be, d.Logits, d.Labels, 1, (s, l, o) => be.CountCorrect(s, l, B, C, o)));
        return failures;
    }

    /// <summary>SGD, momentum and Adam, reading one schedule row (lr, c₁, c₂ of Adam's step 3) at mini-batch
    /// counter[0] = 1 of a 3-row table.</summary>
    private int CheckOptimizers(Inputs d)
    {
        var adam = new AdamParameters(0.9f, 0.999f, 1e-8f, 0.01f);
        var (c1, c2) = adam.Corrections(3);
        float[] schedule = [9f, 9f, 9f, 1e-3f, c1, c2, 9f, 9f, 9f];
        float[] p = d.P;
        int failures = Compare("sgd_step", (2e-6, 5e-5), be =>
            Run(be, [d.G, schedule], [[1]], p.Length, (t, l, y) => be.SgdStep(t[0], p.Length, 3000, t[1], l[0], 0.01f, y), initial: p));
        failures += Compare("momentum_step", (2e-6, 5e-5), be =>
            Run(be, [d.G, d.M, schedule], [[1]], p.Length, (t, l, y) => be.MomentumStep(t[0], p.Length, 3000, t[2], l[0], 0.9f, 0.01f, t[1], y), initial: p));
        failures += Compare("adam_step", (2e-6, 5e-5), be =>
            Run(be, [d.G, d.M, d.V, schedule], [[1]], p.Length, (t, l, y) =>
                be.AdamStep(t[0], p.Length, 3000, adam, t[3], l[0], t[1], t[2], y), initial: p));
        return failures;
    }

    /// <summary>Dropout at global step t = counter[1] = 3, rate 0.5: the masks must be identical (one multiply per kept
    /// element); max-norm at the rows' typical norm √(I/3), so about half the rows are scaled.</summary>
    private int CheckRegularization(Inputs d)
    {
        var dropout = DropoutParameters.For(Seed, 1, 0.5f);
        int failures = Compare("dropout", (0, 0), be =>
            Run(be, [d.Hidden], [[0, 3, -1]], B * O, (t, l, y) => be.Dropout(t[0], l[0], dropout, B * O, y)));
        failures += Compare("max_norm", Elementwise, be =>
            Run(be, [], [], O * I, (t, _, y) => be.MaxNorm(y, O, I, MathF.Sqrt(I / 3f)), initial: d.W));
        return failures;
    }

    /// <summary>Augmentation of min(B, 16) 28×28 images, affine and elastic (σ = 2, α = 4) at step 3. The same float
    /// operations everywhere; a GPU may contract multiply-adds into FMAs (a few ulps on positions of ~30 px).</summary>
    private int CheckAugment(Inputs d)
    {
        int n = Math.Min(B, 16);
        float[] gaussian = AugmentParameters.GaussianTaps(2f);
        var augment = new AugmentParameters
        {
            SeedLow = 7, SeedHigh = 9, Height = 28, Width = 28, RotationMin = -0.3f, RotationMax = 0.3f,
            ScaleMin = 0.85f, ScaleMax = 1.15f, ShearMin = -0.25f, ShearMax = 0.25f, TranslateMin = -2.5f,
            TranslateMax = 2.5f, ElasticAlpha = 4f, ElasticRadius = gaussian.Length / 2,
        };
        return Compare("augment", (1e-4, 1e-4), be =>
            Run(be, [d.Images, gaussian, new float[augment.FieldLength(n)]], [[0, 3, -1]], n * 784, (t, l, y) =>
                be.Augment(t[0], l[0], augment, n, t[1], t[2], y)));
    }

    /// <summary>Runs a kernel on the reference and the device, prints the largest absolute and relative error and
    /// pass/fail; returns 1 if it fails. <paramref name="loss"/>: the tolerance of the last element, the accumulated
    /// loss (else <paramref name="tol"/>, as for every element).</summary>
    private int Compare(string name, (double Atol, double Rtol) tol, Func<IBackend, float[]> run,
        (double Atol, double Rtol)? loss = null)
    {
        float[] e = run(_reference), a = run(_device);
        double maxAbs = 0, maxRel = 0;
        bool ok = e.Length == a.Length;
        for (int k = 0; k < Math.Min(e.Length, a.Length); k++)
        {
            double diff = Math.Abs((double)a[k] - e[k]);
            if (double.IsNaN(diff)) { ok = false; maxAbs = double.NaN; continue; }
            maxAbs = Math.Max(maxAbs, diff);
            if (e[k] != 0) maxRel = Math.Max(maxRel, diff / Math.Abs(e[k]));
            var t = loss is { } l && k == e.Length - 1 ? l : tol;
            if (diff > t.Atol + t.Rtol * Math.Abs(e[k])) ok = false;
        }
        stdout.WriteLine($"{name,-34} max abs {maxAbs,9:0.0e+0}  max rel {maxRel,9:0.0e+0}  {(ok ? "pass" : "FAIL")}");
        return ok ? 0 : 1;
    }

    /// <summary>Runs an integer-valued kernel on the reference and the device; returns 1 unless they are identical.</summary>
    private int CompareInts(string name, Func<IBackend, int[]> run)
    {
        bool ok = run(_reference).SequenceEqual(run(_device));
        stdout.WriteLine($"{name,-34} {(ok ? "identical" : "differ"),-30}  {(ok ? "pass" : "FAIL")}");
        return ok ? 0 : 1;
    }

    /// <summary>Uploads the inputs, runs <paramref name="op"/> into a fresh output (starting from
    /// <paramref name="initial"/> if given), returns the output, with the accumulated loss appended when
    /// <paramref name="lossIndex"/> names a loss input.</summary>
    private static float[] Run(IBackend be, float[][] inputs, int[][] ints, int outputLength,
        Action<BufferView<float>[], BufferView<int>[], BufferView<float>> op, float[]? initial = null, int lossIndex = -1,
        int[][]? extraInts = null)
    {
        var owned = new List<IDisposable>();
        try
        {
            BufferView<float> Up(float[] data) { var b = be.Allocate<float>(data.Length); owned.Add(b); be.Upload<float>(data, b.View()); return b.View(); }
            BufferView<int> UpI(int[] data) { var b = be.Allocate<int>(data.Length); owned.Add(b); be.Upload<int>(data, b.View()); return b.View(); }
            var t = inputs.Select(Up).ToArray();
            var l = ints.Concat(extraInts ?? []).Select(UpI).ToArray();
            var y = Up(initial ?? new float[outputLength]);
            op(t, l, y);
            var result = new float[outputLength + (lossIndex >= 0 ? 1 : 0)];
            be.Download(y, result.AsSpan(0, outputLength));
            if (lossIndex >= 0) be.Download(t[lossIndex], result.AsSpan(outputLength, 1));
            return result;
        }
        finally
        {
            foreach (var d in owned) d.Dispose();
        }
    }

    private static int[] RunInts(IBackend be, float[] scores, int[] labels, int outputLength,
        Action<BufferView<float>, BufferView<int>, BufferView<int>> op)
    {
        using var s = be.Allocate<float>(scores.Length);
        using var l = be.Allocate<int>(labels.Length);
        using var o = be.Allocate<int>(outputLength);
        be.Upload<float>(scores, s.View());
        be.Upload<int>(labels, l.View());
        op(s.View(), l.View(), o.View());
        var result = new int[outputLength];
        be.Download(o.View(), result);
        return result;
    }
}
