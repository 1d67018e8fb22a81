namespace Digits.Cli.Report;

/// <summary>Tiny 8-bit grayscale BMP encoder for the gallery's data URIs (browsers show BMP natively; no
/// compression or checksums needed).</summary>
internal static class Bitmap
{
    /// <summary>Base64 of a BMP of <paramref name="pixels"/> (row-major, [0,1], 0 = black).</summary>
    public static string Gray(ReadOnlySpan<float> pixels, int width, int height)
    {
        int stride = (width + 3) & ~3, paletteBytes = 256 * 4, offset = 14 + 40 + paletteBytes, size = offset + stride * height;
        var bmp = new byte[size];
        void U16(int at, int v) => BitConverter.TryWriteBytes(bmp.AsSpan(at), (ushort)v);
        void I32(int at, int v) => BitConverter.TryWriteBytes(bmp.AsSpan(at), v);
        bmp[0] = (byte)'B'; bmp[1] = (byte)'M';
        I32(2, size); I32(10, offset);
        I32(14, 40); I32(18, width); I32(22, height); U16(26, 1); U16(28, 8); I32(34, stride * height); I32(46, 256);
        for (int k = 0; k < 256; k++) { bmp[54 + 4 * k] = bmp[55 + 4 * k] = bmp[56 + 4 * k] = (byte)k; }
        for (int y = 0; y < height; y++) // BMP rows run bottom-up
            for (int x = 0; x < width; x++)
                bmp[offset + (height - 1 - y) * stride + x] = (byte)Math.Clamp(MathF.Round(pixels[y * width + x] * 255f), 0, 255);
        return Convert.ToBase64String(bmp);
    }
}
