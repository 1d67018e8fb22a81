using System.Runtime.InteropServices;
using System.Text;
using SkiaSharp;

namespace Digits.Cli.Commands;

/// <summary>
/// The picture <c>digits augment</c> draws: <see cref="Rows"/> rows, each the original image then its
/// <see cref="Variants"/> distortions. In the PNG every image pixel is an s×s square (s = <see cref="ScaleUp"/>),
/// white ink on black as in MNIST (gray level = round(255·pixel), pixels clamped to [0, 1]); cells are separated by
/// lines s pixels thick: amber after the originals' column, gray elsewhere. Cell (row r, column c) — column 0 the
/// original — has its top-left corner at (c·(W·s + s), r·(H·s + s)).
/// </summary>
internal sealed class AugmentGrid(int rows, int variants, int height, int width, int scaleUp)
{
    public static readonly SKColor Separator = new(72, 72, 72), OriginalsSeparator = new(255, 176, 0);

    public int Rows { get; } = rows;
    public int Variants { get; } = variants;
    public int ScaleUp { get; } = scaleUp;

    /// <summary>One cell's width and height in PNG pixels, without the separator after it.</summary>
    public int CellWidth => width * ScaleUp;
    public int CellHeight => height * ScaleUp;

    /// <summary>(Variants + 1)·W·s + Variants·s.</summary>
    public int PixelWidth => (Variants + 1) * CellWidth + Variants * ScaleUp;

    /// <summary>Rows·H·s + (Rows − 1)·s.</summary>
    public int PixelHeight => Rows * CellHeight + (Rows - 1) * ScaleUp;

    /// <summary>Left edge of column <paramref name="column"/> (0 = the originals).</summary>
    public int Left(int column) => column * (CellWidth + ScaleUp);

    /// <summary>Top edge of row <paramref name="row"/>.</summary>
    public int Top(int row) => row * (CellHeight + ScaleUp);

    /// <summary>The gray level a pixel value is drawn with.</summary>
    public static byte Gray(float value) => (byte)MathF.Round(Math.Clamp(float.IsNaN(value) ? 0f : value, 0f, 1f) * 255f);

    /// <summary>The grid as PNG bytes: <paramref name="originals"/> (Rows, H·W), <paramref name="distorted"/>
    /// (Rows·Variants, H·W), image r·Variants + v the v-th distortion of original r.</summary>
    public byte[] Png(float[] originals, float[] distorted)
    {
        var pixels = new int[PixelWidth * PixelHeight];
        pixels.AsSpan().Fill(Rgba(Separator));
        for (int y = 0; y < PixelHeight; y++)
            pixels.AsSpan(y * PixelWidth + Left(1) - ScaleUp, ScaleUp).Fill(Rgba(OriginalsSeparator));
        int features = height * width;
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c <= Variants; c++)
            {
                var image = c == 0 ? originals.AsSpan(r * features, features)
                    : distorted.AsSpan((r * Variants + c - 1) * features, features);
                Draw(pixels, image, Left(c), Top(r));
            }
        using var bitmap = new SKBitmap(new SKImageInfo(PixelWidth, PixelHeight, SKColorType.Rgba8888, SKAlphaType.Opaque));
        if (bitmap.RowBytes != PixelWidth * 4) throw new InvalidOperationException($"unexpected row stride {bitmap.RowBytes}");
        Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private void Draw(Span<int> pixels, ReadOnlySpan<float> image, int left, int top)
    {
        for (int v = 0; v < height; v++)
            for (int u = 0; u < width; u++)
            {
                byte g = Gray(image[v * width + u]);
                int rgba = Rgba(new SKColor(g, g, g));
                for (int dy = 0; dy < ScaleUp; dy++)
                    pixels.Slice((top + v * ScaleUp + dy) * PixelWidth + left + u * ScaleUp, ScaleUp).Fill(rgba);
            }
    }

    /// <summary>An opaque colour as the little-endian RGBA8888 word.</summary>
    private static int Rgba(SKColor c) => unchecked((int)(c.Red | (uint)c.Green << 8 | (uint)c.Blue << 16 | 0xFF000000u));

    /// <summary>The grid as text for a terminal: per row of digits, H/4 lines; each character covers 2 image pixels
    /// across and 4 down (two 2×2 averages, the upper and lower half): █ both halves inked, ▀ or ▄ one of them, ░
    /// faint ink, else a space. The originals' column is followed by │, the variants by a space; a blank line
    /// between rows.</summary>
    public string Text(float[] originals, float[] distorted)
    {
        const float Ink = 0.4f, Faint = 0.15f;
        int features = height * width, columns = (width + 1) / 2, lines = (height + 3) / 4;
        var text = new StringBuilder();
        for (int r = 0; r < Rows; r++)
        {
            if (r > 0) text.Append('\n');
            for (int line = 0; line < lines; line++)
            {
                for (int c = 0; c <= Variants; c++)
                {
                    var image = c == 0 ? originals.AsSpan(r * features, features)
                        : distorted.AsSpan((r * Variants + c - 1) * features, features);
                    for (int col = 0; col < columns; col++)
                    {
                        float upper = Average(image, 2 * col, 4 * line), lower = Average(image, 2 * col, 4 * line + 2);
                        text.Append(upper >= Ink && lower >= Ink ? '█' : upper >= Ink ? '▀' : lower >= Ink ? '▄'
                            : Math.Max(upper, lower) >= Faint ? '░' : ' ');
                    }
                    if (c < Variants) text.Append(c == 0 ? '│' : ' ');
                }
                text.Append('\n');
            }
        }
        return text.ToString();
    }

    /// <summary>The mean of the 2×2 pixels at (x, y)…(x + 1, y + 1) inside the image.</summary>
    private float Average(ReadOnlySpan<float> image, int x, int y)
    {
        float sum = 0;
        int n = 0;
        for (int dy = 0; dy < 2; dy++)
            for (int dx = 0; dx < 2; dx++)
                if (x + dx < width && y + dy < height)
                {
                    sum += Math.Clamp(image[(y + dy) * width + x + dx], 0f, 1f);
                    n++;
                }
        return n == 0 ? 0 : sum / n;
    }
}
