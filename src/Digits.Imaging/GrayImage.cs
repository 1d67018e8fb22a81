namespace Digits.Imaging;

/// <summary>
/// A decoded picture as gray levels: <see cref="Pixels"/> (Height, Width) row-major float32 in [0, 1] where
/// 0 is black and 1 is white, as on paper (MNIST's white-on-black convention is applied later, by
/// <see cref="MnistPreprocessor"/>). Transparent pixels have already been composited over white.
/// </summary>
public sealed class GrayImage
{
    /// <exception cref="ArgumentException"><paramref name="pixels"/> does not hold width·height values.</exception>
    public GrayImage(int width, int height, float[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if ((long)width * height != pixels.Length)
            throw new ArgumentException($"a {width}×{height} image needs {(long)width * height} pixels, got {pixels.Length}",
                nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>(Height, Width) gray levels, 0 black … 1 white.</summary>
    public float[] Pixels { get; }

    /// <summary>The pixel at column <paramref name="x"/>, row <paramref name="y"/>.</summary>
    public float this[int x, int y] => Pixels[y * Width + x];
}
