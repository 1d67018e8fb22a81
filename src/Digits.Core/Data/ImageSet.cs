namespace Digits.Core.Data;

/// <summary>
/// Images without labels: <paramref name="Pixels"/> (N, I) row-major float32 in [0, 1], N = <paramref name="Count"/>,
/// I = <paramref name="Height"/>·<paramref name="Width"/>. What <see cref="IdxReader.ReadImages(string)"/> and
/// <see cref="CsvDigitReader.ReadUnlabelled(string)"/> return; deconstructs as (pixels, count, rows, cols).
/// </summary>
public sealed record ImageSet(float[] Pixels, int Count, int Height, int Width)
{
    /// <summary>Pixels per image, I = Height·Width.</summary>
    public int Features => Height * Width;
}
