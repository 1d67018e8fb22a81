using System.Runtime.InteropServices;
using SkiaSharp;

namespace Digits.Tests.Images;

/// <summary>
/// A photo-like test set made from MNIST test digits, the way a phone sees a digit written on paper. For each digit,
/// from a seed (so a case can be replayed): a canvas from 320×240 to 1200×900, every tenth one 4000×3000 (phone
/// resolution), portrait or landscape; paper of brightness 0.75–0.95 with a slight tint; the digit (its 28×28 gray
/// levels as the alpha of the ink, cubic-resampled) 20–60 % of the shorter side tall (10–25 % on phone-size canvases),
/// anywhere on the page, rotated up to ±10°, in black, blue, dark red or dark green ink, blurred by a Gaussian of up to
/// 1 % of its height (focus); on 30 % of pages a light-blue ruled line across the page near the digit's foot; then
/// uneven light (a linear fall-off to 55–100 % across the page, times a vignette), per-pixel Gaussian noise of σ
/// 0.01–0.04 (sensor and paper texture), and JPEG compression at quality 60–90.
/// </summary>
internal static class PhotoSet
{
    /// <summary>One photo: its JPEG bytes, its size, and how it was made (for a failure message).</summary>
    public sealed record Photo(byte[] Jpeg, int Width, int Height, string Description);

    /// <summary>Renders MNIST digit <paramref name="digit"/> (28·28 ink levels, 1 = ink) as photo number
    /// <paramref name="seed"/>; <paramref name="phone"/> forces a 4000×3000 canvas.</summary>
    public static Photo Make(ReadOnlySpan<float> digit, int seed, bool? phone = null)
    {
        var random = new Random(seed);
        double U(double a, double b) => a + (b - a) * random.NextDouble();
        bool big = phone ?? seed % 10 == 0;
        int longSide = big ? 4000 : random.Next(320, 1201), shortSide = longSide * 3 / 4;
        bool portrait = random.Next(2) == 0;
        int w = portrait ? shortSide : longSide, h = portrait ? longSide : shortSide;
        double paper = U(0.75, 0.95);
        var tint = (R: paper + U(-0.03, 0.03), G: paper + U(-0.03, 0.03), B: paper + U(-0.03, 0.03));
        (string Name, double R, double G, double B)[] inks =
            [("black", 0.08, 0.08, 0.1), ("blue", 0.1, 0.15, 0.5), ("dark red", 0.45, 0.08, 0.08), ("dark green", 0.08, 0.3, 0.12)];
        var ink = inks[random.Next(inks.Length)];
        double size = Math.Min(w, h) * (big ? U(0.10, 0.25) : U(0.20, 0.60)); // the 28×28 field's side on the page
        double cx = U(size, w - size), cy = U(size, h - size), angle = U(-10, 10), blur = size * U(0, 0.01);
        bool ruled = random.NextDouble() < 0.3;
        double lineY = cy + size * U(0.25, 0.4), lineWidth = Math.Max(2, size / 60);

        using var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(Color(tint.R, tint.G, tint.B));
            if (ruled)
            {
                using var pen = new SKPaint { Color = Color(0.55, 0.68, 0.9), StrokeWidth = (float)lineWidth, IsAntialias = true };
                canvas.DrawLine(0, (float)lineY, w, (float)(lineY + U(-0.01, 0.01) * w), pen);
            }
            var pixels = new byte[28 * 28 * 4];
            for (int i = 0; i < 784; i++)
            {
                pixels[4 * i] = Byte(ink.R); pixels[4 * i + 1] = Byte(ink.G); pixels[4 * i + 2] = Byte(ink.B);
                pixels[4 * i + 3] = Byte(digit[i]);
            }
            using var image = SKImage.FromPixelCopy(new SKImageInfo(28, 28, SKColorType.Rgba8888, SKAlphaType.Unpremul), pixels);
            using var paint = new SKPaint { IsAntialias = true };
            if (blur > 0.3) paint.ImageFilter = SKImageFilter.CreateBlur((float)blur, (float)blur);
            canvas.Translate((float)cx, (float)cy);
            canvas.RotateDegrees((float)angle);
            canvas.DrawImage(image, new SKRect((float)(-size / 2), (float)(-size / 2), (float)(size / 2), (float)(size / 2)),
                new SKSamplingOptions(SKCubicResampler.Mitchell), paint);
        }

        // uneven light, vignette and noise, pixel by pixel
        double fall = U(0.55, 1.0), direction = U(0, 2 * Math.PI), sigma = U(0.01, 0.04);
        double dx = Math.Cos(direction), dy = Math.Sin(direction);
        var rgba = new byte[w * h * 4];
        Marshal.Copy(bitmap.GetPixels(), rgba, 0, rgba.Length);
        var noise = new Random(seed + 1);
        var gaussians = new double[4096]; // drawn from a table: exact Gaussians per pixel cost seconds at 4000×3000
        for (int k = 0; k < gaussians.Length; k++) gaussians[k] = sigma * Gaussian(noise);
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            double u = (double)x / w - 0.5, v = (double)y / h - 0.5;
            double t = Math.Clamp((u * dx + v * dy) / 0.71 * 0.5 + 0.5, 0, 1); // 0…1 across the page
            double light = (1 - (1 - fall) * t) * (1 - 0.25 * (u * u + v * v));
            int i = 4 * (y * w + x);
            double n = gaussians[noise.Next(gaussians.Length)];
            for (int c = 0; c < 3; c++) rgba[i + c] = Byte(rgba[i + c] / 255.0 * light + n);
        }
        Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        int quality = random.Next(60, 91);
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, quality);
        string description = $"seed {seed}: {w}×{h}, paper {paper:0.00}, {ink.Name} ink, digit {size:0} px at ({cx:0},{cy:0}) " +
                             $"rotated {angle:0.0}°, blur {blur:0.0} px{(ruled ? ", ruled line" : "")}, light down to {fall:0.00}, " +
                             $"noise σ {sigma:0.000}, JPEG q{quality}";
        return new Photo(data.ToArray(), w, h, description);
    }

    private static SKColor Color(double r, double g, double b) => new(Byte(r), Byte(g), Byte(b));

    private static byte Byte(double v) => (byte)Math.Clamp((int)Math.Round(v * 255), 0, 255);

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
