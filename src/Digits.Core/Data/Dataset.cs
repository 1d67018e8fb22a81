namespace Digits.Core.Data;

/// <summary>
/// Labelled images in memory: <see cref="Images"/> (N, I) row-major float32 pixels scaled to [0, 1]
/// (I = <see cref="Height"/>·<see cref="Width"/>, 784 for the MNIST family), <see cref="Labels"/> (N) in
/// [0, <see cref="Classes"/>).
/// </summary>
public sealed class Dataset
{
    /// <exception cref="ArgumentException">the arrays' lengths disagree with count and size, or a label is out
    /// of range.</exception>
    public Dataset(string name, IReadOnlyList<string> classNames, int height, int width, float[] images,
        int[] labels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (classNames.Count == 0) throw new ArgumentException("a dataset needs at least one class", nameof(classNames));
        if ((long)labels.Length * height * width != images.Length)
            throw new ArgumentException(
                $"{labels.Length} labels need {(long)labels.Length * height * width} pixels, got {images.Length}",
                nameof(images));
        foreach (int label in labels)
            if ((uint)label >= (uint)classNames.Count)
                throw new ArgumentException($"label {label} outside 0..{classNames.Count - 1}", nameof(labels));
        Name = name;
        ClassNames = classNames;
        Height = height;
        Width = width;
        Images = images;
        Labels = labels;
    }

    /// <summary>What the data is, e.g. "mnist/train" or "csv:train.csv (90 %)".</summary>
    public string Name { get; }

    /// <summary>Class names in label order ("0".."9" for digits; "T-shirt/top", … for Fashion-MNIST).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    public int Classes => ClassNames.Count;
    public int Height { get; }
    public int Width { get; }

    /// <summary>Pixels per image, I = Height·Width.</summary>
    public int Features => Height * Width;

    /// <summary>Number of images, N.</summary>
    public int Count => Labels.Length;

    /// <summary>(N, I) pixels in [0, 1].</summary>
    public float[] Images { get; }

    /// <summary>(N) labels.</summary>
    public int[] Labels { get; }

    /// <summary>Image <paramref name="index"/>'s pixels.</summary>
    public ReadOnlySpan<float> Image(int index) => Images.AsSpan(index * Features, Features);

    /// <summary>The images at <paramref name="indices"/>, in that order, as a new dataset.</summary>
    public Dataset Subset(ReadOnlySpan<int> indices, string name)
    {
        var images = new float[indices.Length * Features];
        var labels = new int[indices.Length];
        for (int k = 0; k < indices.Length; k++)
        {
            Image(indices[k]).CopyTo(images.AsSpan(k * Features, Features));
            labels[k] = Labels[indices[k]];
        }
        return new Dataset(name, ClassNames, Height, Width, images, labels);
    }

    public override string ToString() => $"{Name}: {Count} images {Height}×{Width}, {Classes} classes";
}
