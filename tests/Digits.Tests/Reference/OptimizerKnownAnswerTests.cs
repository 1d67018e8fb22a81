using Digits.Core.Backends;
using Digits.Core.Training;
using Digits.Cpu;
using Digits.Tests.Support;
using Xunit;
using static Digits.Tests.Support.Close;

namespace Digits.Tests.Reference;

/// <summary>
/// Known answers for the optimizer steps of <see cref="ReferenceBackend"/>, the learning-rate schedules and Adam's
/// bias corrections. Every other backend's optimizer is compared with the reference; here the reference itself is
/// compared with the published update rules, restated below as independent double-precision code that shares
/// nothing with Digits, and with values worked out by hand. The backend is reached only through the three adapters
/// at the bottom (<see cref="Sgd"/>, <see cref="Momentum"/>, <see cref="Adam"/>): when the optimizer ops' signatures
/// change, only those need to.
/// </summary>
public sealed class OptimizerKnownAnswerTests
{
    /// <summary>Float against double over at most 5 steps with |p| ≲ 1.5: each step rounds p (half an ulp,
    /// ≤ 1.2e-7) and a handful of float ops in an update of size ≤ lr, so the float trajectory drifts by a few
    /// 1e-7 at most; a wrong rule moves p by 1e-3 or more.</summary>
    private static readonly Tolerance FloatSteps = new(1e-6, 1e-6);

    /// <summary>Adam's m (|m| ≲ 0.5) and v (≥ 1e-6 here, down to 1e-4 of p's scale) after a few float steps: sums
    /// of a few rounded products, off by a few ulps, so relative with a small floor for an m that cancels.</summary>
    private static readonly Tolerance Moments = new(5e-8, 2e-6);

    /// <summary>A double-precision value rounded once to float (half an ulp) against a hand value rounded to float:
    /// at most one ulp (2⁻²³ ≈ 1.2e-7 relative) apart.</summary>
    private static readonly Tolerance OneRounding = new(0, 1.2e-7);

    /// <summary>0.9f and 0.999f are 0.9 − 2.4e-8 and 0.999 + 1.3e-8, so against hand values for the decimal betas
    /// 1 − β₂ᵗ is off by up to 1.3e-5 relative (at t = 1); a wrong t or a missing reciprocal is off by ≥ 5%.</summary>
    private static readonly Tolerance DecimalBetas = new(0, 2e-5);

    /// <summary>Elements past <c>count</c> in every view: the op must neither read nor change them.</summary>
    private const int Tail = 2;

    private const float TailGradient = 1000f, TailParameter = 7.5f;

    // ---------------------------------------------------------------- SGD

    /// <summary>
    /// SGD, p −= lr·(grad + λp), λ only on the first decayCount elements, with a different lr every step.
    /// Guards against: the sign of the step, lr applied twice or not at all, decay on the biases (elements ≥
    /// decayCount; the decayCount 0 case has λ &gt; 0 and no weights) or missing on the weights, decay as λ·grad,
    /// and a loop over the view's length instead of count (the tail must stay put).
    /// </summary>
    [Theory]
    [InlineData(7, 5, 0.1f)]
    [InlineData(6, 0, 0.1f)]
    [InlineData(5, 5, 0f)]
    [InlineData(4, 4, 0.25f)]
    public void Sgd_matches_the_double_precision_update(int count, int decayCount, float lambda)
    {
        float[] lrs = [0.5f, 0.25f, 0.1f, 0.05f];
        var random = new Random(100 + count * 10 + decayCount);
        float[] p0 = TestData.Uniform(random, count);
        float[][] grads = lrs.Select(_ => TestData.Uniform(random, count)).ToArray();

        double[] expected = Widen(WithTail(p0, TailParameter));
        using var r = new Rig(new ReferenceBackend());
        var p = r.Put(WithTail(p0, TailParameter), "parameters");
        for (int t = 0; t < lrs.Length; t++)
        {
            SgdDouble(expected, Widen(grads[t]), count, decayCount, lrs[t], lambda);
            Sgd(r.Backend, r.Put(WithTail(grads[t], TailGradient), "gradients"), count, decayCount, lrs[t], lambda, p);
            AssertClose(Narrow(expected), r.Take(p), FloatSteps, $"SGD parameters after step {t + 1}");
        }
        r.AssertNoStrayWrites();
    }

    /// <summary>
    /// One SGD step small enough to do by hand. Guards against the same faults as the theory above, with no
    /// double-precision code between the rule and the answer.
    /// </summary>
    [Fact]
    public void Sgd_first_step_by_hand()
    {
        // lr = 0.1, λ = 0.1, decayCount = 1 (element 0 is a weight, element 1 a bias), p = [1, 1], grad = [0.5, 0.5]:
        //   weight: g = 0.5 + 0.1·1 = 0.6, p = 1 − 0.1·0.6 = 0.94
        //   bias:   g = 0.5 (no decay),    p = 1 − 0.1·0.5 = 0.95
        using var r = new Rig(new ReferenceBackend());
        var p = r.Put([1f, 1f], "parameters");
        Sgd(r.Backend, r.Put([0.5f, 0.5f], "gradients"), 2, 1, 0.1f, 0.1f, p);
        AssertClose([0.94f, 0.95f], r.Take(p), FloatSteps, "SGD parameters after one step");
    }

    // ---------------------------------------------------------------- Momentum

    /// <summary>
    /// Heavy-ball momentum in PyTorch's form, g = grad + λp; v = μv + g; p −= lr·v, from a non-zero velocity (as
    /// after a resume) and with a different lr every step. Guards against: a dampened velocity (v = μv + (1−μ)g),
    /// the Sutskever form (v = μv + lr·g; p −= v, the same only while lr is constant), Nesterov's look-ahead
    /// (p −= lr·(g + μv)), a velocity that starts from zero instead of the stored one, decay on the biases or
    /// missing on the weights, and writes past count.
    /// </summary>
    [Theory]
    [InlineData(7, 5, 0.1f)]
    [InlineData(6, 0, 0.1f)]
    [InlineData(5, 5, 0f)]
    [InlineData(4, 4, 0.25f)]
    public void Momentum_matches_the_double_precision_update(int count, int decayCount, float lambda)
    {
        const float mu = 0.9f;
        float[] lrs = [0.1f, 0.05f, 0.05f, 0.02f, 0.01f];
        var random = new Random(200 + count * 10 + decayCount);
        float[] p0 = TestData.Uniform(random, count), v0 = TestData.Uniform(random, count, -0.5f, 0.5f);
        float[][] grads = lrs.Select(_ => TestData.Uniform(random, count)).ToArray();

        double[] expectedP = Widen(WithTail(p0, TailParameter)), expectedV = Widen(WithTail(v0, TailParameter));
        using var r = new Rig(new ReferenceBackend());
        var p = r.Put(WithTail(p0, TailParameter), "parameters");
        var v = r.Put(WithTail(v0, TailParameter), "velocity");
        for (int t = 0; t < lrs.Length; t++)
        {
            MomentumDouble(expectedP, expectedV, Widen(grads[t]), count, decayCount, lrs[t], mu, lambda);
            Momentum(r.Backend, r.Put(WithTail(grads[t], TailGradient), "gradients"), count, decayCount, lrs[t], mu,
                lambda, v, p);
            AssertClose(Narrow(expectedP), r.Take(p), FloatSteps, $"momentum parameters after step {t + 1}");
            AssertClose(Narrow(expectedV), r.Take(v), FloatSteps, $"momentum velocity after step {t + 1}");
        }
        r.AssertNoStrayWrites();
    }

    /// <summary>
    /// Three momentum steps by hand with a constant gradient. Guards against a dampened velocity (which would move
    /// p by 0.01, 0.029, … instead) and against lr inside the velocity once lr changes (step 3 uses a smaller lr).
    /// </summary>
    [Fact]
    public void Momentum_three_steps_by_hand()
    {
        // μ = 0.9, no decay, v = 0, grad = 1 every step, p = 0:
        //   step 1, lr 0.1:  v = 1,                  p = −0.1·1     = −0.1
        //   step 2, lr 0.1:  v = 0.9·1 + 1 = 1.9,    p = −0.1 − 0.19 = −0.29
        //   step 3, lr 0.05: v = 0.9·1.9 + 1 = 2.71, p = −0.29 − 0.05·2.71 = −0.4255
        // (the Sutskever form, v = μv + lr·g; p −= v, gives −0.1, −0.29, −0.511 instead.)
        using var r = new Rig(new ReferenceBackend());
        var p = r.Put([0f], "parameters");
        var v = r.Put([0f], "velocity");
        var g = r.Put([1f], "gradients");
        float[] lrs = [0.1f, 0.1f, 0.05f], afterP = [-0.1f, -0.29f, -0.4255f], afterV = [1f, 1.9f, 2.71f];
        for (int t = 0; t < 3; t++)
        {
            Momentum(r.Backend, g, 1, 0, lrs[t], 0.9f, 0f, v, p);
            AssertClose([afterP[t]], r.Take(p), FloatSteps, $"momentum parameter after step {t + 1}");
            AssertClose([afterV[t]], r.Take(v), FloatSteps, $"momentum velocity after step {t + 1}");
        }
    }

    // ---------------------------------------------------------------- Adam

    /// <summary>
    /// Adam, Kingma &amp; Ba 2015 Algorithm 1 with bias correction and L2 decay in the gradient, over 5 steps from
    /// m = v = 0 with a different lr every step. Guards against: a missing or wrong bias correction (c₁ or c₂
    /// dropped, swapped, or for t ± 1), (1 − β) factors dropped from m or v, v from |g| instead of g², decay on the
    /// biases or missing on the weights, and writes past count. The ε = 0.1 case, with gradients of the same size
    /// as ε, makes ε's place observable: ε inside the square root (√(v̂ + ε)), or ε left out, fails it; with
    /// ε = 1e-8 the two placements differ by ~1e-7 of the step and no test could tell them apart.
    /// </summary>
    [Theory]
    [InlineData(6, 4, 0.1f, 1e-8f, 1f)]
    [InlineData(5, 0, 0f, 1e-8f, 1f)]
    [InlineData(5, 5, 0.05f, 1e-8f, 2f)]
    [InlineData(6, 3, 0.1f, 0.1f, 0.2f)]
    public void Adam_matches_Kingma_and_Ba_in_double_precision(int count, int decayCount, float lambda,
        float epsilon, float gradientScale)
    {
        const float beta1 = 0.9f, beta2 = 0.999f;
        float[] lrs = [0.05f, 0.05f, 0.02f, 0.02f, 0.01f];
        var random = new Random(300 + count * 10 + decayCount);
        float[] p0 = TestData.Uniform(random, count);
        float[][] grads = lrs.Select(_ => TestData.Uniform(random, count, -gradientScale, gradientScale)).ToArray();

        var expected = new AdamDouble(Widen(WithTail(p0, TailParameter)), beta1, beta2, epsilon);
        using var r = new Rig(new ReferenceBackend());
        var p = r.Put(WithTail(p0, TailParameter), "parameters");
        var m = r.Put(WithTail(new float[count], TailParameter), "m");
        var v = r.Put(WithTail(new float[count], TailParameter), "v");
        for (int t = 1; t <= lrs.Length; t++)
        {
            expected.Step(Widen(grads[t - 1]), count, decayCount, lrs[t - 1], lambda);
            Adam(r.Backend, r.Put(WithTail(grads[t - 1], TailGradient), "gradients"), count, decayCount, lrs[t - 1],
                beta1, beta2, epsilon, lambda, t, m, v, p);
            AssertClose(Narrow(expected.P), r.Take(p), FloatSteps, $"Adam parameters after step {t}");
        }
        // The moments are what a checkpoint stores and a resume continues from: the raw (uncorrected) averages.
        AssertClose(Narrow(expected.M, count, TailParameter), r.Take(m), Moments, "Adam m after 5 steps");
        AssertClose(Narrow(expected.V, count, TailParameter), r.Take(v), Moments, "Adam v after 5 steps");
        r.AssertNoStrayWrites();
    }

    /// <summary>
    /// Adam with a constant gradient, checked by hand. With g constant, m = (1 − β₁ᵗ)g and v = (1 − β₂ᵗ)g², so
    /// the corrected m̂ = g and v̂ = g² exactly at every step and each step moves p by lr·g/(|g| + ε) ≈ lr·sign(g),
    /// whatever |g|. Guards against a missing bias correction (dropping c₁ makes the first step 0.1·lr, dropping c₂
    /// makes it ≈ 31.6·lr), an update not normalised by √v̂, and a wrong sign.
    /// </summary>
    [Fact]
    public void Adam_with_a_constant_gradient_moves_lr_per_step_by_hand()
    {
        // lr = 0.01, β₁ = 0.9, β₂ = 0.999, ε = 1e-8, no decay; p = [1, 0.5, −0.25, 0], g = [0.5, −2, 0.125, −0.0625].
        // Step 1: m = 0.1·g, v = 0.001·g²; m̂ = m/(1 − 0.9) = g, v̂ = v/(1 − 0.999) = g²;
        //         p −= 0.01·g/(|g| + 1e-8) = 0.01·sign(g)·(1 − ≤ 1.6e-7)  →  p = [0.99, 0.51, −0.26, 0.01].
        // Steps 2 and 3 the same (m̂ = g, v̂ = g² again)             →  p = [0.97, 0.53, −0.28, 0.03].
        float[] g = [0.5f, -2f, 0.125f, -0.0625f];
        using var r = new Rig(new ReferenceBackend());
        var p = r.Put([1f, 0.5f, -0.25f, 0f], "parameters");
        var m = r.Put(new float[4], "m");
        var v = r.Put(new float[4], "v");
        var gradients = r.Put(g, "gradients");
        Adam(r.Backend, gradients, 4, 0, 0.01f, 0.9f, 0.999f, 1e-8f, 0f, 1, m, v, p);
        AssertClose([0.99f, 0.51f, -0.26f, 0.01f], r.Take(p), FloatSteps, "Adam parameters after step 1");
        Adam(r.Backend, gradients, 4, 0, 0.01f, 0.9f, 0.999f, 1e-8f, 0f, 2, m, v, p);
        Adam(r.Backend, gradients, 4, 0, 0.01f, 0.9f, 0.999f, 1e-8f, 0f, 3, m, v, p);
        AssertClose([0.97f, 0.53f, -0.28f, 0.03f], r.Take(p), FloatSteps, "Adam parameters after step 3");
    }

    /// <summary>
    /// <see cref="AdamParameters.Corrections"/>: 1/(1 − βᵗ) at t = 1, 2, 10, 1000 for betas that float
    /// holds exactly (β₁ = 7/8, β₂ = 1023/1024), so the hand values are exact fractions. Guards against t − 1 or
    /// t + 1 in the power, a missing reciprocal (1 − βᵗ itself), β₁ and β₂ swapped, and βᵗ accumulated in float
    /// (1000 float products put β₂¹⁰⁰⁰ off by ~1e-5).
    /// </summary>
    [Theory]
    [InlineData(1L, 8.0, 1024.0)] // 1/(1/8), 1/(1/1024)
    [InlineData(2L, 64.0 / 15, 1048576.0 / 2047)] // 1/(1 − 49/64); 1/(2⁻⁹ − 2⁻²⁰) = 2²⁰/(2¹¹ − 1)
    [InlineData(10L, 1073741824.0 / 791266575, 102.85080605641419)] // 8¹⁰/(8¹⁰ − 7¹⁰); 2¹⁰⁰/(2¹⁰⁰ − 1023¹⁰)
    [InlineData(1000L, 1.0, 1.6036532453991336)] // (7/8)¹⁰⁰⁰ ≈ 1e-58; 1/(1 − (1023/1024)¹⁰⁰⁰), 30-digit arithmetic
    public void Adam_bias_corrections_are_exact_for_binary_betas(long t, double correction1, double correction2)
    {
        var (c1, c2) = new AdamParameters(0.875f, 0.9990234375f, 1e-8f, 0f).Corrections(t);
        AssertClose([(float)correction1, (float)correction2], [c1, c2], OneRounding, $"c₁, c₂ at t = {t}");
    }

    /// <summary>
    /// The corrections for the default betas 0.9 and 0.999 against decimal hand values. Guards against the same
    /// faults as the theory above at the betas training actually uses.
    /// </summary>
    [Theory]
    [InlineData(1L, 10.0, 1000.0)] // 1/0.1, 1/0.001
    [InlineData(2L, 1 / 0.19, 1 / 0.001999)] // 1 − 0.81; 1 − 0.998001
    [InlineData(10L, 1 / 0.6513215599, 100.45082541138437)] // 0.9¹⁰ = 0.3486784401; 1/(1 − 0.999¹⁰)
    [InlineData(1000L, 1.0, 1.5815163121946032)] // 0.9¹⁰⁰⁰ ≈ 2e-46; 1/(1 − 0.999¹⁰⁰⁰), 30-digit arithmetic
    public void Adam_bias_corrections_for_the_default_betas(long t, double correction1, double correction2)
    {
        var (c1, c2) = new AdamParameters(0.9f, 0.999f, 1e-8f, 0f).Corrections(t);
        AssertClose([(float)correction1, (float)correction2], [c1, c2], DecimalBetas, $"c₁, c₂ at t = {t}");
    }

    // ---------------------------------------------------------------- learning-rate schedules

    /// <summary>Constant: lr at every step and epoch. Guards against a constant schedule that decays.</summary>
    [Fact]
    public void Constant_schedule_is_the_learning_rate_everywhere()
    {
        var options = new TrainingOptions { Schedule = ScheduleKind.Constant, LearningRate = 0.02f };
        (long Step, long Total, int Epoch)[] at = [(0, 100, 0), (50, 100, 5), (99, 100, 9), (0, 0, 0), (7, 3, 30)];
        AssertClose(at.Select(_ => 0.02f).ToArray(), at.Select(a => options.LearningRateAt(a.Step, a.Total, a.Epoch))
            .ToArray(), OneRounding, "constant schedule");
    }

    /// <summary>
    /// Step decay lr·γ^⌊epoch/StepEpochs⌋ (StepEpochs 3, γ 0.5) before, at and after the boundaries. Guards
    /// against an off-by-one at the boundary (decaying at epoch 2 or 4 instead of 3), γ^epoch, γ·k instead of γᵏ,
    /// and a schedule that follows the step instead of the epoch.
    /// </summary>
    [Fact]
    public void Step_schedule_decays_by_gamma_at_each_boundary()
    {
        var options = new TrainingOptions
        {
            Schedule = ScheduleKind.Step, LearningRate = 0.1f, StepEpochs = 3, StepGamma = 0.5f,
        };
        int[] epochs = [0, 1, 2, 3, 4, 5, 6, 8, 9, 10];
        // ⌊epoch/3⌋ = 0, 0, 0, 1, 1, 1, 2, 2, 3, 3
        float[] expected = [0.1f, 0.1f, 0.1f, 0.05f, 0.05f, 0.05f, 0.025f, 0.025f, 0.0125f, 0.0125f];
        // The step index and total are those of a 100-step epoch, so a schedule that used them would differ.
        AssertClose(expected, epochs.Select(e => options.LearningRateAt(100L * e + 37, 1000, e)).ToArray(),
            OneRounding, "step schedule");
    }

    /// <summary>
    /// Cosine annealing without restarts (Loshchilov &amp; Hutter 2017), lr·½(1 + cos(π·t/T)), at t = 0, T/4, T/2,
    /// 3T/4 and T − 1 against hand values: lr, lr·(1 + √2/2)/2, lr/2, lr·(1 − √2/2)/2 and, by the half-angle
    /// identity ½(1 + cos(π − x)) = sin²(x/2), lr·sin²(π/(2T)). Guards against T − 1 or t + 1 in the fraction,
    /// a missing ½ or π, annealing to lr/2 instead of 0, and a schedule that follows the epoch.
    /// </summary>
    [Theory]
    [InlineData(8L)]
    [InlineData(1000L)]
    public void Cosine_schedule_matches_hand_values(long total)
    {
        const double lr = 0.1;
        var options = new TrainingOptions { Schedule = ScheduleKind.Cosine, LearningRate = (float)lr };
        double halfRoot2 = Math.Sqrt(2) / 2, tail = Math.Sin(Math.PI / (2 * total));
        long[] steps = [0, total / 4, total / 2, 3 * total / 4, total - 1];
        double[] expected = [lr, lr * (1 + halfRoot2) / 2, lr / 2, lr * (1 - halfRoot2) / 2, lr * tail * tail];
        // The epoch passed is nonsense on purpose: cosine follows the step only.
        AssertClose(expected.Select(e => (float)e).ToArray(),
            steps.Select(s => options.LearningRateAt(s, total, 1234)).ToArray(), OneRounding,
            $"cosine schedule over {total} steps");
    }

    /// <summary>
    /// Cosine with T = 8 at its last step has the hand value lr·(1 − √(2 + √2)/2)/2 (cos(7π/8) = −cos(π/8) by the
    /// half-angle formula), and with no steps at all (T = 0) it is lr, not NaN: guards against dividing by T
    /// instead of max(T, 1) (0/0 at T = 0).
    /// </summary>
    [Fact]
    public void Cosine_schedule_at_its_ends()
    {
        var options = new TrainingOptions { Schedule = ScheduleKind.Cosine, LearningRate = 0.1f };
        double last = 0.1 * (1 - Math.Sqrt(2 + Math.Sqrt(2)) / 2) / 2; // 0.0038060233744356624
        AssertClose([(float)last, 0f, 0.1f, 0.1f],
            [options.LearningRateAt(7, 8, 0), options.LearningRateAt(8, 8, 0), options.LearningRateAt(0, 0, 0),
             options.LearningRateAt(0, 1, 0)], new(1e-9, OneRounding.Rtol), "cosine schedule ends");
    }

    // ---------------------------------------------------------------- the published rules, in double precision

    /// <summary>SGD with L2 decay: θ ← θ − lr·(∇ + λθ), λ on the weights (the first decayCount) only.</summary>
    private static void SgdDouble(double[] p, double[] grad, int count, int decayCount, double lr, double lambda)
    {
        for (int k = 0; k < count; k++)
        {
            double decay = k < decayCount ? lambda * p[k] : 0.0;
            p[k] = p[k] - lr * (grad[k] + decay);
        }
    }

    /// <summary>PyTorch's SGD with momentum (dampening 0, not Nesterov): b ← μb + g; θ ← θ − lr·b.</summary>
    private static void MomentumDouble(double[] p, double[] b, double[] grad, int count, int decayCount, double lr,
        double mu, double lambda)
    {
        for (int k = 0; k < count; k++)
        {
            double g = grad[k] + (k < decayCount ? lambda * p[k] : 0.0);
            b[k] = mu * b[k] + g;
            p[k] = p[k] - lr * b[k];
        }
    }

    /// <summary>
    /// Kingma &amp; Ba 2015, Algorithm 1, written as the paper does: the corrected moments m̂ = m/(1 − β₁ᵗ),
    /// v̂ = v/(1 − β₂ᵗ) formed explicitly, βᵗ kept as running products, ε outside the square root.
    /// </summary>
    private sealed class AdamDouble(double[] p, double beta1, double beta2, double epsilon)
    {
        private double _beta1ToT = 1, _beta2ToT = 1;

        public double[] P { get; } = p;
        public double[] M { get; } = new double[p.Length];
        public double[] V { get; } = new double[p.Length];

        public void Step(double[] grad, int count, int decayCount, double alpha, double lambda)
        {
            _beta1ToT *= beta1;
            _beta2ToT *= beta2;
            for (int k = 0; k < count; k++)
            {
                double g = grad[k] + (k < decayCount ? lambda * P[k] : 0.0);
                M[k] = beta1 * M[k] + (1 - beta1) * g;
                V[k] = beta2 * V[k] + (1 - beta2) * g * g;
                double mHat = M[k] / (1 - _beta1ToT), vHat = V[k] / (1 - _beta2ToT);
                P[k] = P[k] - alpha * mHat / (Math.Sqrt(vHat) + epsilon);
            }
        }
    }

    private static float[] WithTail(float[] data, float tail) =>
        [.. data, .. Enumerable.Repeat(tail, Tail)];

    private static double[] Widen(float[] data) => data.Select(f => (double)f).ToArray();

    private static float[] Narrow(double[] data) => data.Select(d => (float)d).ToArray();

    /// <summary>The first <paramref name="count"/> elements, then the untouched tail.</summary>
    private static float[] Narrow(double[] data, int count, float tail) => WithTail(Narrow(data[..count]), tail);

    // ---------------------------------------------------------------- adapters: the only calls into the backend

    private static void Sgd(IBackend be, BufferView<float> g, int count, int decay, float lr, float lambda,
        BufferView<float> p) =>
        be.SgdStep(g, count, decay, lr, lambda, p);

    private static void Momentum(IBackend be, BufferView<float> g, int count, int decay, float lr, float mu,
        float lambda, BufferView<float> velocity, BufferView<float> p) =>
        be.MomentumStep(g, count, decay, lr, mu, lambda, velocity, p);

    /// <summary>Step <paramref name="t"/> (1-based) of Adam.</summary>
    private static void Adam(IBackend be, BufferView<float> g, int count, int decay, float lr, float beta1,
        float beta2, float eps, float lambda, long t, BufferView<float> m, BufferView<float> v, BufferView<float> p) =>
        be.AdamStep(g, count, decay, new AdamParameters(beta1, beta2, eps, lambda), t, lr, m, v, p);
}
