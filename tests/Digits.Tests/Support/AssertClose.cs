using System.Text;
using Xunit;

namespace Digits.Tests.Support;

/// <summary>An absolute and a relative tolerance: |actual − expected| ≤ Atol + Rtol·|expected|.</summary>
public readonly record struct Tolerance(double Atol, double Rtol)
{
    /// <summary>Exactly equal: copies, gathers, argmax, counts.</summary>
    public static readonly Tolerance Exact = new(0, 0);

    /// <summary>Element-wise float math (exp, tanh, division) that a GPU or SIMD library may round a few ulps
    /// differently from the double-precision reference.</summary>
    public static readonly Tolerance Elementwise = new(2e-6, 2e-5);

    /// <summary>Optimizer steps: a sqrt and a division per element, plus the elementwise rounding.</summary>
    public static readonly Tolerance Optimizer = new(2e-6, 5e-5);

    /// <summary>
    /// A float sum of <paramref name="terms"/> products of magnitude ≤ 1 against the reference's double sum:
    /// float summation in any order is off by at most about terms·ε (ε = 2⁻²³ ≈ 1.2e-7) times the largest
    /// partial sum (Higham, "Accuracy and Stability of Numerical Algorithms", §4.2); we allow 2 ε per term.
    /// </summary>
    public static Tolerance Sum(int terms) => new(1e-6 + 2.4e-7 * Math.Max(terms, 1), 1e-5);
}

/// <summary>The one comparison helper for tensors (docs/ARCHITECTURE.md, "Tests written once per backend").</summary>
public static class Close
{
    /// <summary>Fails with the tensor's name, first bad index, both values, the max difference and the first few
    /// pairs when any |a − e| &gt; atol + rtol·|e| or the lengths differ. NaN never equals anything.</summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, Tolerance tolerance,
        string name)
    {
        Assert.True(expected.Length == actual.Length,
            $"{name}: expected {expected.Length} elements, got {actual.Length}");
        int firstBad = -1, bad = 0;
        double maxDiff = 0;
        for (int k = 0; k < expected.Length; k++)
        {
            double e = expected[k], a = actual[k], diff = Math.Abs(a - e);
            bool ok = diff <= tolerance.Atol + tolerance.Rtol * Math.Abs(e) || (e == a);
            if (double.IsNaN(diff)) ok = false;
            if (!double.IsNaN(diff)) maxDiff = Math.Max(maxDiff, diff);
            if (!ok) { bad++; if (firstBad < 0) firstBad = k; }
        }
        if (bad == 0) return;
        var text = new StringBuilder();
        text.Append($"{name}: {bad} of {expected.Length} elements differ (atol {tolerance.Atol:g3}, " +
                    $"rtol {tolerance.Rtol:g3}); first at [{firstBad}]: expected {expected[firstBad]:g9}, " +
                    $"actual {actual[firstBad]:g9}; max |diff| {maxDiff:g4}. First pairs (expected, actual):");
        for (int k = firstBad; k < Math.Min(expected.Length, firstBad + 6); k++)
            text.Append($" [{k}] ({expected[k]:g7}, {actual[k]:g7})");
        Assert.Fail(text.ToString());
    }

    /// <summary>Integer tensors must match exactly.</summary>
    public static void AssertEqual(ReadOnlySpan<int> expected, ReadOnlySpan<int> actual, string name)
    {
        Assert.True(expected.Length == actual.Length,
            $"{name}: expected {expected.Length} elements, got {actual.Length}");
        for (int k = 0; k < expected.Length; k++)
            if (expected[k] != actual[k])
                Assert.Fail($"{name}: first difference at [{k}]: expected {expected[k]}, actual {actual[k]}");
    }
}
