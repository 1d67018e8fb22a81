using Digits.Core.Backends;
using Digits.Core.Model;
using Digits.Core.Training;
using Digits.Cpu;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Reference;

/// <summary>
/// The definitions behind dropout and augmentation, checked on the reference: Philox4x32-10 against the published
/// known answers, dropout's rate and scaling, its gradient by central differences, and augmentation of known images
/// by known transforms worked out by hand. (Every backend against the reference: KernelTests.)
/// </summary>
public sealed class RegularizationTests
{
    // Random123 1.09, examples/kat_vectors: philox4x32 10 rounds, (counter) (key) → (output).
    [Theory]
    [InlineData(0u, 0u, 0u, 0u, 0u, 0u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu,
        0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u,
        0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void Philox4x32_10_gives_the_Random123_known_answers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1,
        uint r0, uint r1, uint r2, uint r3)
    {
        var block = Philox.Block(c0, c1, c2, c3, k0, k1);
        Assert.Equal([r0, r1, r2, r3], new[] { block.X, block.Y, block.Z, block.W });
    }

    private static float[] Dropout(IBackend backend, float[] x, float rate, int step, int stream = 1, ulong seed = 7)
    {
        using var r = new Rig(backend);
        var y = r.Put(new float[x.Length], "y");
        var counter = r.Put(new[] { 0, step, -1 }, "counter");
        backend.Dropout(r.Put(x), counter, DropoutParameters.For(seed, stream, rate), x.Length, y);
        return r.Take(y);
    }

    [Theory]
    [InlineData(0.2f)]
    [InlineData(0.5f)]
    [InlineData(0.8f)]
    public void Dropout_keeps_each_element_with_probability_one_minus_p_and_scales_it_by_its_inverse(float rate)
    {
        const int n = 200_000;
        float[] x = TestData.Uniform(new Random(1), n, 0.5f, 1.5f);
        float[] y = Dropout(new ReferenceBackend(), x, rate, step: 3);
        int kept = 0;
        for (int e = 0; e < n; e++)
        {
            if (y[e] == 0f) continue;
            kept++;
            Assert.Equal(x[e] * (1f / (1f - rate)), y[e]);
        }
        double expected = n * (1 - rate), sigma = Math.Sqrt(n * rate * (1 - rate));
        Assert.InRange(kept, expected - 5 * sigma, expected + 5 * sigma);
    }

    [Fact]
    public void Dropout_masks_depend_on_step_stream_and_seed_and_nothing_else()
    {
        float[] x = Enumerable.Repeat(1f, 4099).ToArray();
        var reference = new ReferenceBackend();
        float[] a = Dropout(reference, x, 0.5f, step: 10);
        Assert.Equal(a, Dropout(reference, x, 0.5f, step: 10));
        Assert.NotEqual(a, Dropout(reference, x, 0.5f, step: 11));
        Assert.NotEqual(a, Dropout(reference, x, 0.5f, step: 10, stream: 2));
        Assert.NotEqual(a, Dropout(reference, x, 0.5f, step: 10, seed: 8));
        // Rate 0 is the identity; a shorter tensor gets the prefix of the same mask.
        Assert.Equal(x, Dropout(reference, x, 0f, step: 10));
        Assert.Equal(a.AsSpan(0, 100).ToArray(), Dropout(reference, x[..100], 0.5f, step: 10));
    }

    [Theory]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.Tanh)]
    public void Gradients_through_dropout_match_central_differences_of_the_dropped_network(Activation hidden)
    {
        var spec = new MlpSpec([9, 8, 6, 4], hidden, LossKind.CrossEntropy);
        var model = MlpModel.Initialize(spec, seed: 5);
        var random = new Random(6);
        for (int k = model.Layout.WeightCount; k < model.Layout.Count; k++) model.Parameters[k] = random.NextSingle() * 0.2f - 0.1f;
        const int batch = 5, step = 4;
        float[] x = TestData.Uniform(random, batch * spec.Inputs, 0, 1);
        int[] labels = TestData.Labels(random, batch, spec.Outputs);
        var options = new TrainingOptions
        {
            Optimizer = OptimizerKind.Sgd, Seed = 3, InputDropout = 0.25f, Dropout = new DropoutRates([0.5f, 0.3f]),
        };

        using var backend = new ReferenceBackend();
        using var network = new DeviceNetwork(backend, model, batch, options);
        using var counter = backend.Allocate<int>(3);
        backend.Upload<int>([0, step, -1], counter.View());
        backend.Upload<float>(x, network.Input.View(0, x.Length));
        backend.Upload<int>(labels, network.Targets.View(0, batch));
        network.TrainingGradients(batch, counter.View());
        var analytic = new float[model.Layout.Count];
        backend.Download(network.Gradients.View(), analytic);

        // The same network in double with the masks drawn independently from DropoutParameters.Keep.
        var drops = new[]
        {
            DropoutParameters.For(3, 0, 0.25f), DropoutParameters.For(3, 1, 0.5f), DropoutParameters.For(3, 2, 0.3f),
        };
        double[] Drop(double[] a, int layer) =>
            a.Select((v, e) => drops[layer].Keep(e, step) ? v * drops[layer].Scale : 0.0).ToArray();
        double Loss(double[] p)
        {
            var layout = model.Layout;
            var a = Drop(x.Select(v => (double)v).ToArray(), 0);
            for (int l = 0; l < spec.Layers; l++)
            {
                var z = DoubleMath.Linear(a, p.AsSpan(layout.WeightOffset(l), layout.WeightLength(l)).ToArray(),
                    p.AsSpan(layout.BiasOffset(l), layout.BiasLength(l)).ToArray(), batch, spec.Widths[l], spec.Widths[l + 1]);
                if (l == spec.Layers - 1) return DoubleMath.CrossEntropySum(z, labels, spec.Outputs) / batch;
                a = Drop(z.Select(v => DoubleMath.Act(hidden, v)).ToArray(), l + 1);
            }
            throw new InvalidOperationException("unreachable");
        }
        // Some units must actually be dropped, or the test proves nothing.
        Assert.Contains(Enumerable.Range(0, batch * 8), e => !drops[1].Keep(e, step));

        var point = model.Parameters.Select(v => (double)v).ToArray();
        for (int k = 0; k < point.Length; k++)
        {
            double numeric = DoubleMath.Central(point, k, 1e-5, Loss);
            Assert.True(Math.Abs(analytic[k] - numeric) <= 2e-5 + 2e-4 * Math.Abs(numeric),
                $"parameter {k}: analytic {analytic[k]:g9}, central difference {numeric:g9} ({hidden})");
        }
    }

    private static AugmentParameters Fixed(int height, int width, float rotation = 0, float scale = 1, float shear = 0,
        float shift = 0) => new()
    {
        SeedLow = 1, Height = height, Width = width, RotationMin = rotation, RotationMax = rotation, ScaleMin = scale,
        ScaleMax = scale, ShearMin = shear, ShearMax = shear, TranslateMin = shift, TranslateMax = shift,
    };

    private static float[] Augment(IBackend backend, float[] images, int batch, AugmentParameters p, float[]? gaussian = null, int step = 0)
    {
        using var r = new Rig(backend);
        var y = r.Put(new float[images.Length], "y");
        var field = r.Put(new float[Math.Max(1, p.FieldLength(batch))], "field");
        backend.Augment(r.Put(images), r.Put(new[] { 0, step, -1 }, "counter"), p, batch, r.Put(gaussian ?? [0f], "gaussian"),
            field, y);
        return r.Take(y);
    }

    [Fact]
    public void The_identity_transform_returns_the_images_exactly()
    {
        float[] images = TestData.Uniform(new Random(2), 3 * 28 * 28, 0, 1);
        Assert.Equal(images, Augment(new ReferenceBackend(), images, 3, Fixed(28, 28)));
        Assert.Equal(images[..(13 * 9)], Augment(new ReferenceBackend(), images[..(13 * 9)], 1, Fixed(13, 9)));
    }

    [Fact]
    public void A_90_degree_rotation_moves_each_pixel_where_worked_out_by_hand()
    {
        const int n = 28;
        float[] image = TestData.Uniform(new Random(3), n * n, 0, 1);
        float[] turned = Augment(new ReferenceBackend(), image, 1, Fixed(n, n, rotation: MathF.PI / 2));
        // The output pixel (u, v) samples the source at c + R(−90°)(q − c): x = v, y = n − 1 − u.
        for (int v = 0; v < n; v++)
            for (int u = 0; u < n; u++)
                Assert.True(Math.Abs(turned[v * n + u] - image[(n - 1 - u) * n + v]) < 1e-5,
                    $"pixel ({u}, {v}): {turned[v * n + u]} vs {image[(n - 1 - u) * n + v]}");
    }

    /// <summary>What one image's affine map drew, read back from the map (<see cref="Augmentation.Map"/>: C = −sin θ / s,
    /// D = cos θ / s, B = −C − tan φ · D, Qx − Cx = tx, Qy − Cy = ty).</summary>
    private static (double Rotation, double Scale, double Shear, double Tx, double Ty) Drawn(in AugmentParameters p, int row, int step)
    {
        var m = Augmentation.Map(p, row, step);
        double rotation = Math.Atan2(-m.C, m.D), inverse = Math.Sqrt((double)m.C * m.C + (double)m.D * m.D);
        return (rotation, 1 / inverse, Math.Atan((-m.C - m.B) / (double)m.D), m.Qx - m.Cx, m.Qy - m.Cy);
    }

    /// <summary>Issue 24: the random parameters were tested only with min = max. With the default ranges (±15°, scale
    /// 1 ± 0.15, shear ±10°, shift ±2 px), 4,000 images' draws at two steps each stay inside their ranges, reach
    /// within 1 % of both ends (a miss has odds of 0.99^4000 ≈ 10⁻¹⁸), fill each quarter of a range about equally,
    /// and the two shifts are separate draws (uncorrelated).</summary>
    [Fact]
    public void The_drawn_rotation_scale_shear_and_shift_stay_inside_and_span_their_ranges()
    {
        var options = new AugmentOptions();
        var p = options.Parameters(seed: 3, 28, 28);
        const int images = 4000;
        double Rad(float degrees) => degrees * Math.PI / 180;
        (string Name, double Lo, double Hi)[] ranges =
        [
            ("rotation", -Rad(options.RotationDegrees), Rad(options.RotationDegrees)),
            ("scale", 1 - options.Scale, 1 + options.Scale),
            ("shear", -Rad(options.ShearDegrees), Rad(options.ShearDegrees)),
            ("shift x", -options.TranslatePixels, options.TranslatePixels),
            ("shift y", -options.TranslatePixels, options.TranslatePixels),
        ];
        foreach (int step in new[] { 0, 12_345 })
        {
            var draws = Enumerable.Range(0, images).Select(r => Drawn(p, r, step))
                .Select(d => new[] { d.Rotation, d.Scale, d.Shear, d.Tx, d.Ty }).ToArray();
            for (int k = 0; k < ranges.Length; k++)
            {
                var (name, lo, hi) = ranges[k];
                double[] values = draws.Select(d => d[k]).ToArray(), span = [hi - lo];
                Assert.All(values, v => Assert.InRange(v, lo - 1e-5, hi + 1e-5));
                Assert.True(values.Min() < lo + 0.01 * span[0], $"{name} (step {step}): smallest draw {values.Min()}, range [{lo}, {hi}]");
                Assert.True(values.Max() > hi - 0.01 * span[0], $"{name} (step {step}): largest draw {values.Max()}, range [{lo}, {hi}]");
                for (int q = 0; q < 4; q++)
                {
                    int inQuarter = values.Count(v => v >= lo + q * span[0] / 4 && v < lo + (q + 1) * span[0] / 4);
                    Assert.True(inQuarter is > images / 5 and < 3 * images / 10, $"{name} (step {step}): {inQuarter} of {images} in quarter {q + 1}");
                }
            }
            double mx = draws.Average(d => d[3]), my = draws.Average(d => d[4]);
            double correlation = draws.Sum(d => (d[3] - mx) * (d[4] - my)) /
                                 Math.Sqrt(draws.Sum(d => (d[3] - mx) * (d[3] - mx)) * draws.Sum(d => (d[4] - my) * (d[4] - my)));
            Assert.True(Math.Abs(correlation) < 0.1, $"shift x and y correlate ({correlation:F3}) at step {step}");
        }
    }

    /// <summary>Issue 24: <c>--rotate 90</c> through the options (degrees to radians, a symmetric range) is a range of
    /// ±π/2, and its ends turn the image as worked out by hand: at +90° the output pixel (u, v) is the source pixel
    /// (v, n − 1 − u) (clockwise as displayed), at −90° the source pixel (n − 1 − v, u).</summary>
    [Fact]
    public void Rotate_90_through_the_options_turns_the_image_a_quarter_either_way()
    {
        // train's and augment's flags: --augment affine --rotate 90 --scale 0 --shear 0 --translate 0.
        var options = Digits.Cli.Commands.AugmentFlags.Build("affine", rotate: 90, scale: 0, shear: 0, translate: 0, null, null)!;
        var p = options.Parameters(seed: 1, 28, 28);
        Assert.Equal(MathF.PI / 2, p.RotationMax);
        Assert.Equal(-MathF.PI / 2, p.RotationMin);
        Assert.Equal((1f, 1f, 0f, 0f, 0f, 0f), (p.ScaleMin, p.ScaleMax, p.ShearMin, p.ShearMax, p.TranslateMin, p.TranslateMax));
        const int n = 28;
        float[] image = TestData.Uniform(new Random(7), n * n, 0, 1);
        foreach (float end in new[] { p.RotationMax, p.RotationMin })
        {
            var fixedEnd = p with { RotationMin = end, RotationMax = end };
            float[] turned = Augment(new ReferenceBackend(), image, 1, fixedEnd);
            for (int v = 0; v < n; v++)
                for (int u = 0; u < n; u++)
                {
                    float expected = end > 0 ? image[(n - 1 - u) * n + v] : image[u * n + (n - 1 - v)];
                    Assert.True(Math.Abs(turned[v * n + u] - expected) < 1e-5,
                        $"{end:F4} rad, pixel ({u}, {v}): {turned[v * n + u]} vs {expected}");
                }
        }
    }

    [Fact]
    public void A_whole_pixel_translation_shifts_the_image_and_fills_with_zeros()
    {
        const int h = 9, w = 13;
        float[] image = TestData.Uniform(new Random(4), h * w, 0.1f, 1);
        float[] moved = Augment(new ReferenceBackend(), image, 1, Fixed(h, w, shift: 3));
        for (int v = 0; v < h; v++)
            for (int u = 0; u < w; u++)
            {
                float expected = u - 3 >= 0 && v - 3 >= 0 ? image[(v - 3) * w + u - 3] : 0f;
                Assert.Equal(expected, moved[v * w + u]);
            }
    }

    [Fact]
    public void A_half_pixel_shift_averages_neighbours_bilinearly()
    {
        const int n = 6;
        float[] image = new float[n * n];
        image[2 * n + 2] = 1f;
        float[] moved = Augment(new ReferenceBackend(), image, 1, Fixed(n, n, shift: 0.5f));
        // Output (u, v) samples (u − ½, v − ½): the lone pixel at (2, 2) spreads a quarter to each of (2..3, 2..3).
        for (int v = 0; v < n; v++)
            for (int u = 0; u < n; u++)
                Assert.Equal(u is 2 or 3 && v is 2 or 3 ? 0.25f : 0f, moved[v * n + u]);
    }

    [Fact]
    public void Elastic_fields_are_smooth_bounded_and_differ_per_image_and_step()
    {
        var options = new AugmentOptions { Affine = false, Elastic = true, ElasticSigma = 4, ElasticAlpha = 8 };
        var p = options.Parameters(seed: 9, 28, 28);
        float[] ramp = Enumerable.Range(0, 2 * 784).Select(k => (k % 28) / 27f).ToArray(); // x-ramp: value = x/27
        float[] a = Augment(new ReferenceBackend(), ramp, 2, p, options.GaussianTaps(), step: 5);
        float[] b = Augment(new ReferenceBackend(), ramp, 2, p, options.GaussianTaps(), step: 6);
        Assert.NotEqual(a[..784], a[784..]);
        Assert.NotEqual(a, b);
        // On a ramp the output is the displaced x / 27 inside the image: neighbouring pixels move together (smooth),
        // and no pixel moves further than α times the largest smoothed value (< 1).
        double largestJump = 0;
        for (int v = 4; v < 24; v++)
            for (int u = 4; u < 23; u++)
            {
                double dx = a[v * 28 + u] * 27 - u, dxNext = a[v * 28 + u + 1] * 27 - (u + 1);
                Assert.InRange(dx, -8, 8);
                largestJump = Math.Max(largestJump, Math.Abs(dx - dxNext));
            }
        Assert.True(largestJump < 1.5, $"neighbouring displacements differ by up to {largestJump:F2} px: not smooth");
    }

    [Fact]
    public void The_cpu_backend_augments_drops_and_clips_bit_for_bit_like_the_reference()
    {
        var options = new AugmentOptions { Affine = true, Elastic = true };
        var p = options.Parameters(seed: 11, 28, 28);
        float[] images = TestData.Uniform(new Random(5), 5 * 784, 0, 1);
        using var cpu = new CpuBackend(2);
        Assert.Equal(Augment(new ReferenceBackend(), images, 5, p, options.GaussianTaps(), step: 7),
            Augment(cpu, images, 5, p, options.GaussianTaps(), step: 7));
        float[] x = TestData.Uniform(new Random(6), 40_000);
        Assert.Equal(Dropout(new ReferenceBackend(), x, 0.3f, step: 2), Dropout(cpu, x, 0.3f, step: 2));
    }
}
