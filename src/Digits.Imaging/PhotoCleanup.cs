namespace Digits.Imaging;

/// <summary>
/// Makes an arbitrary picture of ink on paper — a scan, a drawing, a phone photo — clean: shrunk to at most
/// <see cref="WorkingSide"/> pixels a side; made dark-ink-on-light (inverted when most of it is dark); the paper's
/// brightness (<see cref="PaperBackground"/>) divided out, which removes uneven light whatever the ink's colour; a
/// light blur against noise and paper texture; ink thresholded, ruled lines removed and the digit picked
/// (<see cref="InkComponents"/>).
/// </summary>
public static class PhotoCleanup
{
    /// <summary>Ink below this level (1 = as dark as ink gets, 0 = paper) is not ink: it must be 20 % darker than
    /// the paper around it.</summary>
    public const float InkThreshold = 0.2f;

    /// <summary>Pictures are shrunk to at most this many pixels a side before they are cleaned (a 4000×3000 photo to
    /// 640×480), which bounds the time and memory of everything after decoding. A decoder given it as its maxSide
    /// (<see cref="ImageDecoder.Decode(ReadOnlySpan{byte}, string, int)"/>) shrinks the same way while it decodes, so
    /// the full-size picture is never held as floats.</summary>
    public const int WorkingSide = 640;

    /// <summary>The digit's ink at working scale: (Height, Width) levels in [0, 1] (1 = ink, 0 elsewhere, everything
    /// but the chosen digit cleared), its width and height, or why there is no digit.</summary>
    public static (float[] Ink, int Width, int Height, string? Problem) FindInk(GrayImage image)
    {
        var (ink, mask, w, h, problem) = Clean(image);
        if (problem is not null) return (ink, w, h, problem);
        var chosen = InkComponents.ChooseDigit(mask, w, h);
        if (chosen is null) return (new float[ink.Length], w, h, "no digit found: only specks or lines stand out from the background");
        return (KeepOnly(ink, chosen, w, h), w, h, null);
    }

    /// <summary>Keeps the chosen ink and its soft edges (two pixels around), stretched so its 95th percentile is 1.
    /// </summary>
    internal static float[] KeepOnly(float[] ink, bool[] chosen, int w, int h)
    {
        var keep = Dilate(chosen, w, h, 2);
        var inside = new List<float>();
        for (int i = 0; i < ink.Length; i++)
            if (chosen[i]) inside.Add(ink[i]);
        inside.Sort();
        float top = Math.Max(inside[(int)(0.95 * (inside.Count - 1))], 1e-3f);
        var result = new float[ink.Length];
        for (int i = 0; i < ink.Length; i++)
            result[i] = keep[i] ? Math.Clamp(ink[i] / top, 0f, 1f) : 0f;
        return result;
    }

    /// <summary>The picture at working scale as ink levels (1 = ink) with its ink mask, ruled lines cleared; or why
    /// nothing stands out.</summary>
    internal static (float[] Ink, bool[] Mask, int Width, int Height, string? Problem) Clean(GrayImage image)
    {
        int w = image.Width, h = image.Height;
        var gray = image.Pixels;
        var (nw, nh) = Resampling.FitInside(w, h, WorkingSide);
        if (nw != w || nh != h)
        {
            gray = Resampling.Resize(gray, w, h, nw, nh);
            (w, h) = (nw, nh);
        }
        // dark ink on light paper: invert a picture that is mostly dark (white ink on black, as MNIST stores it)
        var sorted = (float[])gray.Clone();
        Array.Sort(sorted);
        bool invert = sorted[sorted.Length / 2] < 0.5f;
        var paper = new float[gray.Length];
        for (int i = 0; i < gray.Length; i++) paper[i] = invert ? 1 - gray[i] : gray[i];
        var background = PaperBackground.Estimate(paper, w, h);
        var ink = new float[paper.Length];
        for (int i = 0; i < ink.Length; i++)
            ink[i] = background[i] > 1e-3f ? Math.Clamp(1 - paper[i] / background[i], 0f, 1f) : 0f;
        // the mask is found on a blurred copy (against sensor noise and paper texture; not on tiny images), the
        // digit's levels are taken from the sharp one
        var smooth = Math.Min(w, h) >= 48 ? Blur(ink, w, h) : ink;
        float max = smooth.Max();
        if (max < InkThreshold) return (ink, new bool[ink.Length], w, h, "no ink stands out from the background (is there a digit?)");
        float threshold = Math.Max(InkThreshold, 0.4f * max);
        var mask = new bool[ink.Length];
        for (int i = 0; i < ink.Length; i++) mask[i] = smooth[i] >= threshold;
        InkComponents.RemoveRuledLines(mask, w, h);
        return (ink, mask, w, h, null);
    }

    /// <summary>A 3×3 binomial blur (1 2 1 / 4, each axis).</summary>
    private static float[] Blur(float[] src, int w, int h)
    {
        var rows = new float[src.Length];
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            rows[y * w + x] = 0.25f * src[y * w + Math.Max(0, x - 1)] + 0.5f * src[y * w + x] + 0.25f * src[y * w + Math.Min(w - 1, x + 1)];
        var dst = new float[src.Length];
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            dst[y * w + x] = 0.25f * rows[Math.Max(0, y - 1) * w + x] + 0.5f * rows[y * w + x] + 0.25f * rows[Math.Min(h - 1, y + 1) * w + x];
        return dst;
    }

    /// <summary>The mask grown by <paramref name="r"/> pixels (a square neighbourhood).</summary>
    internal static bool[] Dilate(bool[] mask, int w, int h, int r)
    {
        var dst = new bool[mask.Length];
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            if (!mask[y * w + x]) continue;
            for (int dy = -r; dy <= r; dy++)
            for (int dx = -r; dx <= r; dx++)
            {
                int yy = y + dy, xx = x + dx;
                if (yy >= 0 && yy < h && xx >= 0 && xx < w) dst[yy * w + xx] = true;
            }
        }
        return dst;
    }
}
