using Digits.Core.Data;

namespace Digits.Core.Images;

/// <summary>PNG scanline filters (RFC 2083 section 6) undone in place, and samples turned into gray levels.</summary>
internal static class Pixels
{
    /// <summary>Unfilters every pass of <paramref name="raw"/> and writes each pixel's gray level (alpha over white).</summary>
    public static float[] ToGray(PngDecoder.Header h, byte[] raw, byte[]? palette, byte[]? trns, string name)
    {
        var gray = new float[(long)h.Width * h.Height];
        int offset = 0;
        using var sizes = h.PassSizes().GetEnumerator();
        foreach (var (x0, y0, dx, dy) in h.Passes())
        {
            sizes.MoveNext();
            var (w, ht) = sizes.Current;
            if (w == 0 || ht == 0) continue;
            int rowBytes = (int)h.RowBytes(w);
            for (int y = 0; y < ht; y++)
            {
                int filter = raw[offset];
                var row = raw.AsSpan(offset + 1, rowBytes);
                var prior = y == 0 ? Span<byte>.Empty : raw.AsSpan(offset - rowBytes, rowBytes);
                Unfilter(filter, row, prior, h.FilterStride, name, y);
                int outRow = (y0 + y * dy) * h.Width;
                for (int x = 0; x < w; x++)
                    gray[outRow + x0 + x * dx] = Gray(h, row, x, palette, trns, name);
                offset += 1 + rowBytes;
            }
        }
        return gray;
    }

    /// <summary>Reverses one scanline's filter; <paramref name="prior"/> is empty on a pass's first row (all zeros).</summary>
    public static void Unfilter(int filter, Span<byte> row, ReadOnlySpan<byte> prior, int bpp, string name, int y)
    {
        bool first = prior.IsEmpty;
        switch (filter)
        {
            case 0:
                break;
            case 1: // Sub
                for (int i = bpp; i < row.Length; i++) row[i] += row[i - bpp];
                break;
            case 2: // Up
                if (!first) for (int i = 0; i < row.Length; i++) row[i] += prior[i];
                break;
            case 3: // Average
                for (int i = 0; i < row.Length; i++)
                {
                    int left = i >= bpp ? row[i - bpp] : 0, up = first ? 0 : prior[i];
                    row[i] += (byte)((left + up) >> 1);
                }
                break;
            case 4: // Paeth
                for (int i = 0; i < row.Length; i++)
                {
                    int a = i >= bpp ? row[i - bpp] : 0, b = first ? 0 : prior[i], c = i >= bpp && !first ? prior[i - bpp] : 0;
                    row[i] += (byte)Paeth(a, b, c);
                }
                break;
            default:
                throw new DataFormatException(name, $"scanline {y}: unknown filter type {filter} (PNG has 0–4)");
        }
    }

    /// <summary>The Paeth predictor: whichever of left, above, upper-left is closest to left + above − upper-left.</summary>
    public static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static int Sample(ReadOnlySpan<byte> row, int index, int depth) => depth switch
    {
        16 => row[2 * index] << 8 | row[2 * index + 1],
        8 => row[index],
        _ => row[index * depth / 8] >> (8 - depth - index * depth % 8) & ((1 << depth) - 1),
    };

    private static float Gray(PngDecoder.Header h, ReadOnlySpan<byte> row, int x, byte[]? palette, byte[]? trns, string name)
    {
        int depth = h.BitDepth;
        float max = (1 << depth) - 1;
        float luma, alpha = 1;
        switch (h.ColorType)
        {
            case 0:
            {
                int s = Sample(row, x, depth);
                luma = s / max;
                if (trns is not null && s == (trns[0] << 8 | trns[1])) alpha = 0;
                break;
            }
            case 2:
            {
                int r = Sample(row, 3 * x, depth), g = Sample(row, 3 * x + 1, depth), b = Sample(row, 3 * x + 2, depth);
                luma = Luma(r / max, g / max, b / max);
                if (trns is not null && r == (trns[0] << 8 | trns[1]) && g == (trns[2] << 8 | trns[3]) &&
                    b == (trns[4] << 8 | trns[5])) alpha = 0;
                break;
            }
            case 3:
            {
                int k = Sample(row, x, depth);
                if (3 * k + 2 >= palette!.Length)
                    throw new DataFormatException(name, $"pixel uses palette entry {k} but PLTE has only {palette.Length / 3}");
                luma = Luma(palette[3 * k] / 255f, palette[3 * k + 1] / 255f, palette[3 * k + 2] / 255f);
                if (trns is not null && k < trns.Length) alpha = trns[k] / 255f;
                break;
            }
            case 4:
                luma = Sample(row, 2 * x, depth) / max;
                alpha = Sample(row, 2 * x + 1, depth) / max;
                break;
            default:
                luma = Luma(Sample(row, 4 * x, depth) / max, Sample(row, 4 * x + 1, depth) / max, Sample(row, 4 * x + 2, depth) / max);
                alpha = Sample(row, 4 * x + 3, depth) / max;
                break;
        }
        return alpha * luma + (1 - alpha);
    }

    /// <summary>ITU-R BT.601 luma, the weights MNIST-style grayscale conversions use.</summary>
    public static float Luma(float r, float g, float b) => 0.299f * r + 0.587f * g + 0.114f * b;
}
