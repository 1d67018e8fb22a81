namespace Digits.Imaging;

/// <summary>
/// How wide each class's digits are for their height, as MNIST's training set writes them: a geometric check on a
/// candidate digit beside what the classifier says, as LeCun, Bottou, Bengio and Haffner, "Gradient-based learning
/// applied to document recognition" (Proc. IEEE 86(11), 1998, §V) pair the recognizer with geometric features. An 8
/// with half of the 4 beside it still reads as an 8 but is too wide for one.
/// <para>The quantiles (<see cref="Quantiles"/>) are of <see cref="Aspect"/> over the 60000 images of MNIST's training
/// set, per class; the test <c>DigitAspectTests</c> recomputes them from the data and checks this table. MNIST's images
/// keep each digit's aspect (its longer side scaled to 20 pixels), so the table holds for the ink of a digit as it was
/// written; <see cref="NumberSegmentation"/> measures a candidate's on its ink in the picture.</para>
/// </summary>
internal static class DigitAspects
{
    /// <summary>Ink of at least this level (of 1) counts for a field's box.</summary>
    public const float Solid = 0.5f;

    /// <summary>The quantiles the table holds, in this order.</summary>
    public static readonly double[] Levels = [0.01, 0.10, 0.50, 0.90, 0.99];

    /// <summary>Per class 0–9, <see cref="Aspect"/> at each of <see cref="Levels"/> over MNIST's training set.</summary>
    public static readonly double[][] Quantiles =
    [
        [0.500, 0.700, 0.900, 1.176, 1.429],
        [0.100, 0.200, 0.400, 0.700, 0.900],
        [0.500, 0.700, 0.900, 1.250, 1.667],
        [0.400, 0.600, 0.800, 1.000, 1.250],
        [0.450, 0.600, 0.800, 1.000, 1.250],
        [0.500, 0.650, 0.900, 1.333, 1.667],
        [0.400, 0.500, 0.700, 0.900, 1.176],
        [0.400, 0.550, 0.750, 1.000, 1.333],
        [0.400, 0.550, 0.700, 1.000, 1.250],
        [0.400, 0.500, 0.650, 0.850, 1.111],
    ];

    /// <summary>The width over the height of the box around a (28·28, row-major) field's ink of at least
    /// <see cref="Solid"/>; 1 when there is none.</summary>
    public static double Aspect(ReadOnlySpan<float> field)
    {
        const int side = MnistFraming.Side;
        int x0 = side, y0 = side, x1 = -1, y1 = -1;
        for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
            if (field[y * side + x] >= Solid)
            {
                x0 = Math.Min(x0, x); x1 = Math.Max(x1, x);
                y0 = Math.Min(y0, y); y1 = Math.Max(y1, y);
            }
        return x1 < 0 ? 1 : (double)(x1 - x0 + 1) / (y1 - y0 + 1);
    }

    /// <summary>How unusual <paramref name="aspect"/> is for class <paramref name="c"/>, in tail widths: 0 between its
    /// 10th and 90th percentiles, growing by 1 for each distance from the 90th to the 99th percentile beyond the 90th
    /// (from the 10th to the 1st below the 10th).</summary>
    public static double Unusual(int c, double aspect)
    {
        var q = Quantiles[c];
        if (aspect > q[3]) return (aspect - q[3]) / Math.Max(0.02, q[4] - q[3]);
        if (aspect < q[1]) return (q[1] - aspect) / Math.Max(0.02, q[1] - q[0]);
        return 0;
    }
}
