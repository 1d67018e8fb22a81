using Digits.Gpu;
using Digits.Gpu.Kernels;
using Xunit;

namespace Digits.Tests.Gpu;

/// <summary>
/// The bounds CUDA's tolerances are widened by (<see cref="CudaApproximations"/>), and the tanh that replaced
/// <c>tanh.approx.f32</c>: the bounds are recomputed here from the PTX ISA's figures, and checked against the
/// formulas they bound by perturbing every exp and log by its worst case, in every combination of signs.
/// </summary>
public sealed class CudaApproximationsTests
{
    private const double U = 1.0 / (1 << 24);

    [Fact]
    public void The_bounds_are_the_PTX_ISA_figures_in_units_of_the_last_place()
    {
        Assert.Equal(4 * U, CudaApproximations.ExpExtra(0), 15);                // ex2.approx: 2 ulp ≤ 4 u
        Assert.Equal((4 + 1.224 * 10) * U, CudaApproximations.ExpExtra(-10), 15); // + the argument's rounding
        Assert.Equal(Math.Log(2) * (4 + 0.046) * U, CudaApproximations.LogExtra(2), 15); // lg2.approx: 2⁻²² in (0.5, 2)
        Assert.InRange(CudaApproximations.SigmoidExtra / U, 110.8, 111.0);
        // Each stays below what it widens: sigmoid and tanh outputs within the GEMM tests' 1e-5 relative.
        Assert.True(CudaApproximations.SigmoidExtra < 1e-5);
        Assert.True(CudaApproximations.TanhExtra < 1e-6);
    }

    [Fact]
    public void TanhExtra_bounds_what_exps_error_does_to_tanh_from_exp_at_every_argument()
    {
        // t = 1 − 2/(E + 1), E = e^{2a}: E's relative error e reaches t as 2E/(E + 1)²·e, relative to tanh a.
        for (double a = 0.3; a < 45; a += 1e-3)
        {
            double e = Math.Exp(2 * a), reach = 2 * e / ((e + 1) * (e + 1)) * CudaApproximations.ExpExtra(2 * a);
            Assert.True(reach / Math.Tanh(a) <= CudaApproximations.TanhExtra, $"a = {a}: {reach / Math.Tanh(a) / U:0.00} u");
        }
    }

    [Fact]
    public void Tanh_from_exp_is_within_a_few_units_of_the_last_place_of_tanh()
    {
        double worst = 0;
        for (float z = -12f; z <= 12f; z += 1f / 1024)
        {
            float t = ActivationKernels.TanhFromExp(z);
            double exact = Math.Tanh(z);
            worst = Math.Max(worst, exact == 0 ? Math.Abs(t) : Math.Abs(t - exact) / Math.Abs(exact));
        }
        Assert.True(worst < 16 * U, $"largest relative error {worst / U:0.0} u"); // the kernel tests allow 1e-5 ≈ 168 u
        // Around the switch from the series to exp, tiny and huge arguments, and the special values.
        foreach (float z in new[] { 0.2999999f, 0.3f, 0.3000001f, 1e-30f, 1e-45f, 44f, 89f, 1e30f })
        {
            Assert.Equal(Math.Tanh(z), ActivationKernels.TanhFromExp(z), Math.Max(16 * U * Math.Tanh(z), 1e-45));
            Assert.Equal(-ActivationKernels.TanhFromExp(z), ActivationKernels.TanhFromExp(-z));
        }
        Assert.Equal(1f, ActivationKernels.TanhFromExp(float.PositiveInfinity));
        Assert.Equal(-1f, ActivationKernels.TanhFromExp(float.NegativeInfinity));
        Assert.True(float.IsNaN(ActivationKernels.TanhFromExp(float.NaN)));
        Assert.True(float.IsNegative(ActivationKernels.TanhFromExp(-0f)));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(257)]
    public void SoftmaxExtra_and_LogSumExpExtra_bound_the_worst_perturbation_of_every_exp_and_log(int classes)
    {
        var random = new Random(classes);
        const double spread = 16;
        for (int row = 0; row < 200; row++)
        {
            double[] z = Enumerable.Range(0, classes).Select(_ => -8 + spread * random.NextDouble()).ToArray();
            double m = z.Max(), lse = Math.Log(z.Sum(v => Math.Exp(v - m))) + m;
            // Every exp off by ±ExpExtra(|x|) and the log by ±LogExtra, in each combination of directions.
            foreach (int sumSign in new[] { -1, 1 })
            foreach (int logSign in new[] { -1, 1 })
            foreach (int expSign in new[] { -1, 1 })
            {
                double s = z.Sum(v => Math.Exp(v - m) * (1 + sumSign * CudaApproximations.ExpExtra(v - m)));
                double lsePerturbed = Math.Log(s) + logSign * CudaApproximations.LogExtra(classes) + m;
                Assert.True(Math.Abs(lsePerturbed - lse) <= CudaApproximations.LogSumExpExtra(spread, classes) * 1.0001,
                    $"lse off by {Math.Abs(lsePerturbed - lse) / U:0.0} u");
                foreach (double v in z)
                {
                    double p = Math.Exp(v - lse), x = v - lsePerturbed;
                    double perturbed = Math.Exp(x) * (1 + expSign * CudaApproximations.ExpExtra(x));
                    Assert.True(Math.Abs(perturbed - p) / p <= CudaApproximations.SoftmaxExtra(spread, classes) * 1.0001,
                        $"p off by {Math.Abs(perturbed - p) / p / U:0.0} u");
                }
            }
        }
    }
}
