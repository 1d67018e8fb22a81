using Digits.Core.Backends;
using Digits.Cpu;
using Digits.Tests.Support;
using Xunit;
using static Digits.Tests.Support.Close;

namespace Digits.Tests.Kernels;

// Dropout, max-norm and augmentation against the reference on every backend. Dropout's masks must be equal element
// for element (a kept element is one multiply, rounded the same everywhere); max-norm and augmentation run the same
// float operations in the same order on every backend (the shared Core scalar code), so they must match to the last
// bit or nearly, except where a GPU compiler contracts a·b + c into one FMA.
public abstract partial class KernelTests
{
    /// <summary>Max-norm and augmentation: cpu and ilgpu-cpu run the very .NET float operations of the reference
    /// (1e-6 leaves room for nothing but a stray ulp); CUDA and OpenCL may contract multiply-adds into FMAs in the
    /// sums, the affine map and the bilinear weights, a few ulps on values of order 1 (and on positions of order 30
    /// pixels, times a pixel gradient ≤ 1).</summary>
    private Tolerance SharedScalar =>
        Device.StartsWith("cuda", StringComparison.Ordinal) || Device.StartsWith("opencl", StringComparison.Ordinal)
            ? new(1e-4, 1e-4)
            : new(1e-6, 1e-6);

    public static TheoryData<int> DropoutCounts => new() { 0, 1, 7, 8, 9, 31, 257, 4099 };

    [Theory]
    [MemberData(nameof(DropoutCounts))]
    public void Dropout_matches_reference(int count)
    {
        float[] x = TestData.Uniform(new Random(count + 21), count);
        for (int k = 0; k < count; k++) if (x[k] == 0f) x[k] = 0.5f; // a dropped element is the only zero
        // (global step, stream): the first steps, a large step, and streams 0 (the input) and 3 (a hidden layer).
        (int Step, int Stream)[] draws = [(0, 0), (1, 0), (1, 3), (40_000, 2)];
        foreach (float rate in new[] { 0f, 0.5f, 0.9f })
            foreach (var (step, stream) in draws)
            {
                var d = DropoutParameters.For(0x5EED_0000_0001_2345UL, stream, rate);
                // A separate y at an offset that is not a multiple of 4 or 8, and x overwritten in place.
                float[] Separate(IBackend be) => Run(be, r => r.Put(new float[count], 3, "y"),
                    (r, y) => r.Backend.Dropout(r.Put(x, 6, "x"), r.Put([-3, step, -1], "counter"), d, count, y));
                float[] InPlace(IBackend be) => Run(be, r => r.Put(x, 1, "x"),
                    (r, xy) => r.Backend.Dropout(xy, r.Put([7, step, -1], "counter"), d, count, xy));
                float[] expected = Separate(new ReferenceBackend());
                string what = $"dropout (count {count}, rate {rate}, step {step}, stream {stream})";
                AssertClose(expected, Separate(Backend), Tolerance.Exact, what);
                AssertClose(expected, InPlace(Backend), Tolerance.Exact, what + " in place");
                if (rate == 0f) AssertClose(x, expected, Tolerance.Exact, "rate 0 keeps everything");
            }
    }

    [Fact]
    public void Dropout_masks_follow_the_device_counter_and_stream()
    {
        const int count = 4099;
        float[] ones = Enumerable.Repeat(1f, count).ToArray();
        var d = DropoutParameters.For(42, 1, 0.5f);
        using var r = new Rig(Backend);
        var counter = r.Put([0, 10, -1], "counter");
        var loss = r.Put([0f], "loss");
        var y = r.Put(new float[count], "y");
        var masks = new List<float[]>();
        for (int s = 0; s < 3; s++)
        {
            Backend.Dropout(r.Put(ones), counter, d, count, y);
            float[] actual = r.Take(y);
            var expected = new float[count];
            for (int e = 0; e < count; e++) expected[e] = d.Keep(e, 10 + s) ? d.Scale : 0f;
            AssertClose(expected, actual, Tolerance.Exact, $"mask at step {10 + s}");
            int kept = actual.Count(v => v != 0f);
            Assert.InRange(kept, count * 0.45, count * 0.55);
            masks.Add(actual);
            Backend.AdvanceStep(counter, loss);
        }
        Assert.NotEqual(masks[0], masks[1]);
        // Another stream at the same step draws another mask.
        Backend.Dropout(r.Put(ones), counter, d with { Stream = 2 }, count, y);
        Assert.NotEqual(masks[2], r.Take(y));
        r.AssertNoStrayWrites();
    }

    public static TheoryData<int, int> MaxNormShapes => new() { { 0, 5 }, { 5, 0 }, { 1, 1 }, { 7, 31 }, { 257, 784 } };

    [Theory]
    [MemberData(nameof(MaxNormShapes))]
    public void MaxNorm_matches_reference(int outputs, int inputs)
    {
        const float maxNorm = 1.7f;
        float[] w = TestData.Uniform(new Random(outputs * 31 + inputs), outputs * inputs);
        // Rows of norm 0.5, 2 and 3 times the max (well away from it, so rounding cannot flip the decision), and a
        // zero row.
        double[] targets = [0.5, 2, 3, 0];
        for (int o = 0; o < outputs; o++)
        {
            var row = w.AsSpan(o * inputs, inputs);
            double norm = Math.Sqrt(row.ToArray().Sum(v => (double)v * v));
            double target = targets[o % targets.Length] * maxNorm;
            for (int i = 0; i < inputs; i++) row[i] = norm == 0 ? 0f : (float)(row[i] * target / norm);
        }
        float[] Go(IBackend be) => Run(be, r => r.Put(w, 3, "weight"),
            (r, weight) => r.Backend.MaxNorm(weight, outputs, inputs, maxNorm));
        float[] expected = Go(new ReferenceBackend()), actual = Go(Backend);
        AssertClose(expected, actual, SharedScalar, $"weight ({outputs}×{inputs}, max-norm {maxNorm})");
        // Pinned, not only matched (issue 24: "every norm ≤ C" let a backend that zeroes rows pass): rows under the cap
        // are left bit for bit, rows over it end at norm C pointing the same way.
        for (int o = 0; o < outputs && inputs > 0; o++)
        {
            float[] before = w.AsSpan(o * inputs, inputs).ToArray(), after = actual.AsSpan(o * inputs, inputs).ToArray();
            double norm = Math.Sqrt(before.Sum(v => (double)v * v));
            if (norm <= maxNorm)
            {
                AssertClose(before, after, Tolerance.Exact, $"row {o} (norm {norm:g4} ≤ {maxNorm}) left as it was");
                continue;
            }
            double scaled = Math.Sqrt(after.Sum(v => (double)v * v));
            Assert.True(Math.Abs(scaled - maxNorm) <= 1e-5 * maxNorm, $"row {o} has norm {scaled} after the max-norm, not {maxNorm}");
            AssertClose(before.Select(v => (float)(v * maxNorm / norm)).ToArray(), after, SharedScalar,
                $"row {o} (norm {norm:g4}) scaled to {maxNorm} in the same direction");
        }
    }

    /// <summary>By hand: the row [3, 4] has norm 5, so a cap of 1 makes it [0.6, 0.8]; the row [0.3, 0.4] (norm 0.5)
    /// stays; a zero row stays zero.</summary>
    [Fact]
    public void MaxNorm_scales_3_4_to_0_6_0_8_and_leaves_a_row_under_the_cap()
    {
        float[] after = Run(Backend, r => r.Put([3f, 4f, 0.3f, 0.4f, 0f, 0f], 1, "weight"),
            (r, weight) => r.Backend.MaxNorm(weight, 3, 2, 1f));
        AssertClose([0.6f, 0.8f], after[..2], new Tolerance(1e-7, 1e-7), "[3, 4] capped at norm 1");
        AssertClose([0.3f, 0.4f, 0f, 0f], after[2..], Tolerance.Exact, "rows at or under the cap");
    }

    public static TheoryData<int, int, int, string> AugmentCases
    {
        get
        {
            var data = new TheoryData<int, int, int, string>();
            foreach (int batch in new[] { 0, 1, 3, 17 })
                foreach (var (h, w) in new[] { (28, 28), (13, 9) })
                    foreach (string mode in new[] { "affine", "elastic", "both" })
                        if (batch != 17 || (h, w) == (28, 28)) // 17 images of 13×9 adds nothing to 17 of 28×28
                            data.Add(batch, h, w, mode);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(AugmentCases))]
    public void Augment_matches_reference(int batch, int height, int width, string mode)
    {
        var a = new AugmentParameters
        {
            SeedLow = 0x1234_5678, SeedHigh = 0x9ABC_DEF0, Height = height, Width = width,
            ScaleMin = 1f, ScaleMax = 1f,
        };
        float sigma = 0f;
        if (mode != "elastic")
            (a.RotationMin, a.RotationMax, a.ScaleMin, a.ScaleMax, a.ShearMin, a.ShearMax, a.TranslateMin, a.TranslateMax) =
                (-0.3f, 0.3f, 0.85f, 1.15f, -0.25f, 0.25f, -2.5f, 2.5f);
        if (mode != "affine") (sigma, a.ElasticAlpha) = (1.5f, 4f);
        float[] gaussian = AugmentParameters.GaussianTaps(sigma);
        a.ElasticRadius = gaussian.Length / 2;
        if (gaussian.Length == 0) gaussian = [1f]; // R = 0: the op still wants 2R + 1 = 1 weight (unused)
        int pixels = height * width;
        float[] x = TestData.Uniform(new Random(batch * 100 + height + width), batch * pixels, 0f, 1f);
        int fieldLength = (int)a.FieldLength(batch);
        int[] steps = [0, 1, 99_991];
        (float[][] Y, float[] Field) Go(IBackend be)
        {
            using var r = new Rig(be);
            var images = r.Put(x, 3, "x");
            var y = r.Put(new float[batch * pixels], 6, "y");
            var taps = r.Put(gaussian, 1, "gaussian");
            var field = r.Put(new float[fieldLength], 2, "field");
            var counter = r.Put([0, 0, -1], "counter");
            var outputs = new List<float[]>();
            foreach (int step in steps)
            {
                be.Upload<int>([5, step, -1], counter);
                be.Augment(images, counter, a, batch, taps, field, y);
                outputs.Add(r.Take(y));
            }
            r.AssertNoStrayWrites();
            AssertClose(x, r.Take(images), Tolerance.Exact, "x is left as it was");
            // The smoothed field of the last step ([0, 2BHW): what the warp read), not the horizontal pass.
            return ([.. outputs], r.Take(field).AsSpan(0, fieldLength / 2).ToArray());
        }
        var (ey, ef) = Go(new ReferenceBackend());
        var (ay, af) = Go(Backend);
        for (int s = 0; s < steps.Length; s++)
            AssertClose(ey[s], ay[s], SharedScalar, $"y ({mode}, {batch}×{height}×{width}, step {steps[s]})");
        AssertClose(ef, af, SharedScalar, $"smoothed field ({mode}, {batch}×{height}×{width})");
        if (batch > 0)
        {
            Assert.NotEqual(ey[0], ey[1]); // each step draws new maps
            Assert.True(ey[0].Any(v => v != 0f), "an augmented batch is not all zeros");
        }
    }
}
