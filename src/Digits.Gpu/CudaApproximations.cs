namespace Digits.Gpu;

/// <summary>
/// Bounds on the error that CUDA's approximate instructions add to the kernels' results, beyond what correctly
/// rounded <c>exp</c> and <c>log</c> would give (those roundings are common to every backend and already inside each
/// test's tolerance). With ILGPU.Algorithms, <c>XMath.Exp(x)</c> compiles to <c>ex2.approx.f32(x·fl(log₂e))</c> and
/// <c>XMath.Log(s)</c> to <c>lg2.approx.f32(s)·fl(ln 2)</c>; which kernels hold which instruction is written in their
/// <c>KernelBudget</c> and checked on the PTX. The CUDA kernel tests and <c>digits check --device cuda</c> widen
/// their tolerance by these bounds for the ops concerned; on every other device the same C# runs .NET's
/// <c>MathF</c>. All bounds are relative unless said otherwise, first order, in units of
/// <see cref="Unit"/> u = 2⁻²⁴ (half an ulp of 1).
/// <para>Sources: PTX ISA (NVIDIA, "Parallel Thread Execution ISA", floating-point instructions <c>ex2</c>:
/// "maximum ulp error is 2 ulp from correctly rounded result across the full range of inputs"; <c>lg2</c>:
/// "maximum absolute error is 2⁻²² when the input operand is in the range (0.5, 2); for positive finite inputs
/// outside of this interval, maximum relative error is 2⁻²²").</para>
/// </summary>
public static class CudaApproximations
{
    /// <summary>u = 2⁻²⁴, the unit roundoff of float.</summary>
    public const double Unit = 1.0 / (1 << 24);

    /// <summary>Relative error of <c>fl(log₂e)</c> = 0x3FB8AA3B against log₂e: 0.224 u.</summary>
    private const double Log2EConstant = 0.224;

    /// <summary>Relative error of <c>fl(ln 2)</c> = 0x3F317218 against ln 2: 0.046 u.</summary>
    private const double Ln2Constant = 0.046;

    /// <summary>Below this, sigmoid's output 1/(1 + e^{−z}) is subnormal (&lt; 2⁻¹²⁶) and only an absolute
    /// tolerance means anything: z = −126·ln 2.</summary>
    public const double SigmoidNormalLimit = 87.34;

    /// <summary>exp(x) on PTX, relative, beyond a correctly rounded exp: ex2.approx.f32 is within 2 ulp of the
    /// correctly rounded 2^y (≤ 4 u relative, an ulp being at most 2 u of the value); its argument y = fl(x·fl(log₂e))
    /// carries |x|·log₂e·(1 + 0.224) u absolute, which 2^y turns into ln 2 times that: 1.224·|x| u.</summary>
    public static double ExpExtra(double maxAbsArgument) => (4 + (1 + Log2EConstant) * Math.Abs(maxAbsArgument)) * Unit;

    /// <summary>ln s on PTX for s in [1, <paramref name="maxValue"/>], absolute, beyond a correctly rounded log:
    /// lg2.approx.f32 errs by ≤ 2⁻²² = 4 u in log₂ units (absolute in (0.5, 2), relative to log₂ s outside), times
    /// ln 2; fl(ln 2) adds 0.046 u of ln s.</summary>
    public static double LogExtra(double maxValue)
    {
        double log2 = Math.Log2(Math.Max(maxValue, 1));
        return (Math.Log(2) * 4 * Math.Max(1, log2) + Ln2Constant * log2 * Math.Log(2)) * Unit;
    }

    /// <summary>sigmoid(z) = 1/(1 + e^{−z}) on PTX, relative, for outputs that are normal floats (z ≥ −87.34): the
    /// error of E = e^{−z} reaches y scaled by E/(1 + E) ≤ 1, and E's grows with |z|, so the worst case is
    /// <see cref="ExpExtra"/>(87.34) ≈ 110.9 u ≈ 6.6e-6.</summary>
    public static double SigmoidExtra => ExpExtra(SigmoidNormalLimit);

    /// <summary>tanh z on PTX as <c>ActivationKernels.TanhFromExp</c> computes it, relative: below |z| = 0.3 a
    /// polynomial (no approximate instruction); from 0.3 up, t = 1 − 2/(E + 1) with E = e^{2|z|}, where E's error
    /// reaches t scaled by 2E/(E + 1)²/t. The largest value of 2E/(E+1)²·<see cref="ExpExtra"/>(2a)/tanh a for
    /// a ≥ 0.3 is at a = 0.3: 7.44 u, so 7.5 u ≈ 4.5e-7 (<c>CudaApproximationsTests</c> scans a to check it).</summary>
    public static double TanhExtra => 7.5 * Unit;

    /// <summary>A softmax probability p = exp(z − lse) as <c>SoftmaxCrossEntropy</c> computes it, relative, for a
    /// row of <paramref name="classes"/> logits within <paramref name="spread"/> of its maximum m (terms further
    /// below underflow to 0 on every device): each term e^{z−m} of the sum S carries <see cref="ExpExtra"/>(spread),
    /// so S and ln S do too; ln S adds <see cref="LogExtra"/>(classes) (S ≤ classes); p then carries that error of
    /// its argument plus its own exp's, <see cref="ExpExtra"/>(spread + ln classes).</summary>
    public static double SoftmaxExtra(double spread, int classes) =>
        LogSumExpExtra(spread, classes) + ExpExtra(spread + Math.Log(Math.Max(classes, 1)));

    /// <summary>A row's log-sum-exp lse = ln Σ e^{z−m} + m (and so its cross-entropy loss lse − z_label), absolute:
    /// <see cref="ExpExtra"/>(spread) + <see cref="LogExtra"/>(classes), as in <see cref="SoftmaxExtra"/>.</summary>
    public static double LogSumExpExtra(double spread, int classes) => ExpExtra(spread) + LogExtra(classes);
}
