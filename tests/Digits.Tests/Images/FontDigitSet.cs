using System.Text;
using Digits.Imaging;
using SkiaSharp;

namespace Digits.Tests.Images;

/// <summary>
/// Typed digits: a domain MNIST's handwriting does not cover, built from the font files on the machine, as a folder
/// dataset (<c>ROOT/train/&lt;digit&gt;/…</c>, <c>ROOT/test/&lt;digit&gt;/…</c>) whose two parts use the same fonts
/// (other renders) or disjoint font families (<see cref="Split"/>). Each image, from a seed (a case can be
/// replayed): a 40–160-pixel canvas of paper gray 0.75–1.0, the digit in ink 0–0.35 filling 45–80 % of the shorter
/// side, anywhere near the middle, rotated up to ±6°, blurred by up to 0.8 px, with Gaussian noise of σ up to 0.03,
/// written in turn as PNG, JPEG, WebP (quality 60–95), GIF, BMP, PGM and PBM — every format <c>predict</c> reads.
/// Used by <c>FineTuneTests</c> (the DejaVu split, small) and by <c>benchmarks/finetune</c> (the full split).
/// </summary>
internal static class FontDigitSet
{
    /// <summary>The formats written, in turn.</summary>
    public static readonly string[] Extensions = [".png", ".jpg", ".webp", ".gif", ".bmp", ".pgm", ".pbm"];

    /// <summary>Fonts whose '0'…'9' are not digits (symbols, dingbats, math).</summary>
    private static readonly string[] NotText = ["StandardSymbols", "D050000L", "DejaVuMathTeXGyre"];

    /// <summary>Families the "packages" split trains on; every other family found is tested on. Clones of one design
    /// stay on one side: FreeSans/Serif/Mono derive from URW's Nimbus fonts, so they are tested on with them.</summary>
    private static readonly string[] PackagesTrain = ["DejaVu", "Liberation", "Lato", "OpenSans", "Hack", "Carlito"];

    /// <summary>The font files under <paramref name="fontsRoot"/> for each part. <paramref name="split"/> "dejavu":
    /// every DejaVu font (what fonts-dejavu-core installs) in both parts, which then differ only in their renders — as
    /// a user's own handwriting would be trained on and tested on. "packages": the families of <see cref="PackagesTrain"/> to train, the rest (URW base35, FreeFont, Cantarell,
    /// Comic Neue, Caladea, … — whatever is installed) to test.</summary>
    public static (List<string> Train, List<string> Test) Split(string fontsRoot, string split)
    {
        var fonts = Directory.Exists(fontsRoot)
            ? Directory.EnumerateFiles(fontsRoot, "*", SearchOption.AllDirectories)
                .Where(f => f.EndsWith(".ttf", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".otf", StringComparison.OrdinalIgnoreCase))
                .Where(f => !NotText.Any(n => Path.GetFileName(f).StartsWith(n, StringComparison.Ordinal)))
                .Order(StringComparer.Ordinal).ToList()
            : [];
        bool Named(string f, string prefix) => Path.GetFileName(f).StartsWith(prefix, StringComparison.Ordinal);
        return split switch
        {
            "dejavu" => (fonts.Where(f => Named(f, "DejaVu")).ToList(), fonts.Where(f => Named(f, "DejaVu")).ToList()),
            "packages" => (fonts.Where(f => PackagesTrain.Any(p => Named(f, p))).ToList(),
                fonts.Where(f => !PackagesTrain.Any(p => Named(f, p))).ToList()),
            _ => throw new ArgumentException($"unknown split '{split}': dejavu or packages", nameof(split)),
        };
    }

    /// <summary>Writes <paramref name="perClass"/> images of each digit into <c>root/part/&lt;digit&gt;/</c>, the
    /// fonts taken in turn; returns the files written.</summary>
    public static List<string> Write(string root, string part, IReadOnlyList<string> fonts, int perClass, int seed)
    {
        if (fonts.Count == 0) throw new ArgumentException("no fonts to render with", nameof(fonts));
        var faces = fonts.Select(f => (Name: Path.GetFileNameWithoutExtension(f), Face: SKTypeface.FromFile(f)))
            .Where(f => f.Face is not null).ToList();
        var written = new List<string>();
        try
        {
            for (int digit = 0; digit < 10; digit++)
            {
                string folder = Directory.CreateDirectory(Path.Combine(root, part, $"{digit}")).FullName;
                for (int j = 0; j < perClass; j++)
                {
                    var (name, face) = faces[(j + digit) % faces.Count];
                    int caseSeed = CaseSeed(seed, part, digit, j);
                    string file = Path.Combine(folder, $"{name}-{j:D4}{Extensions[j % Extensions.Length]}");
                    File.WriteAllBytes(file, Encode(Render(face!, digit, caseSeed), Extensions[j % Extensions.Length], caseSeed));
                    written.Add(file);
                }
            }
        }
        finally
        {
            foreach (var f in faces) f.Face?.Dispose();
        }
        return written;
    }

    /// <summary>The seed of image <paramref name="j"/> of <paramref name="digit"/> in <paramref name="part"/>: the same
    /// on every run and machine (FNV-1a, unlike System.HashCode, which is randomized per process).</summary>
    private static int CaseSeed(int seed, string part, int digit, int j)
    {
        uint hash = 2166136261;
        foreach (char c in $"{seed}/{part}/{digit}/{j}") hash = (hash ^ c) * 16777619;
        return (int)(hash & int.MaxValue);
    }

    /// <summary>Digit <paramref name="digit"/> typed in <paramref name="face"/> as case <paramref name="seed"/>.</summary>
    public static GrayImage Render(SKTypeface face, int digit, int seed)
    {
        var random = new Random(seed);
        double U(double a, double b) => a + (b - a) * random.NextDouble();
        int w = random.Next(40, 161), h = Math.Clamp((int)(w * U(0.8, 1.25)), 40, 160);
        double paper = U(0.75, 1.0), ink = U(0, 0.35), angle = U(-6, 6), blur = U(0, 0.8), sigma = U(0, 0.03);
        double target = Math.Min(w, h) * U(0.45, 0.8);
        double cx = w * U(0.4, 0.6), cy = h * U(0.4, 0.6);
        string text = $"{digit}";
        using var probe = new SKFont(face, 100);
        probe.MeasureText(text, out var bounds);
        using var font = new SKFont(face, (float)(100 * target / Math.Max(1, bounds.Height)));
        font.MeasureText(text, out bounds);
        using var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(Gray(paper));
            using var paint = new SKPaint { Color = Gray(ink), IsAntialias = true };
            if (blur > 0.3) paint.ImageFilter = SKImageFilter.CreateBlur((float)blur, (float)blur);
            canvas.Translate((float)cx, (float)cy);
            canvas.RotateDegrees((float)angle);
            canvas.DrawText(text, -bounds.MidX, -bounds.MidY, SKTextAlign.Left, font, paint);
        }
        var pixels = new float[w * h];
        var noise = new Random(seed + 1);
        var rgba = bitmap.GetPixelSpan(); // opaque, so premultiplied red is the gray level
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = Math.Clamp(rgba[4 * i] / 255f + (float)(sigma * Gaussian(noise)), 0, 1);
        return new GrayImage(w, h, pixels);
    }

    /// <summary>The image's bytes in the format of <paramref name="extension"/>.</summary>
    public static byte[] Encode(GrayImage image, string extension, int seed) => extension switch
    {
        ".png" => TestImages.Encode(image, SKEncodedImageFormat.Png),
        ".jpg" => TestImages.Encode(image, SKEncodedImageFormat.Jpeg, 60 + seed % 36),
        ".webp" => TestImages.Encode(image, SKEncodedImageFormat.Webp, 60 + seed % 36),
        ".gif" => TestImages.Gif(image),
        ".bmp" => TestImages.Bmp(image),
        ".pgm" => Pgm(image),
        ".pbm" => Pbm(image),
        _ => throw new ArgumentException($"no encoder for {extension}", nameof(extension)),
    };

    /// <summary>Binary PGM (P5), 8 bits.</summary>
    private static byte[] Pgm(GrayImage image)
    {
        var header = Encoding.ASCII.GetBytes($"P5\n{image.Width} {image.Height}\n255\n");
        return [.. header, .. image.Pixels.Select(v => (byte)Math.Clamp((int)Math.Round(v * 255), 0, 255))];
    }

    /// <summary>Binary PBM (P4): black where darker than halfway between the darkest and lightest pixel.</summary>
    private static byte[] Pbm(GrayImage image)
    {
        float threshold = (image.Pixels.Min() + image.Pixels.Max()) / 2;
        int rowBytes = (image.Width + 7) / 8;
        var bits = new byte[rowBytes * image.Height];
        for (int y = 0; y < image.Height; y++)
        for (int x = 0; x < image.Width; x++)
            if (image[x, y] < threshold) bits[y * rowBytes + x / 8] |= (byte)(0x80 >> (x % 8));
        return [.. Encoding.ASCII.GetBytes($"P4\n{image.Width} {image.Height}\n"), .. bits];
    }

    private static SKColor Gray(double v)
    {
        byte b = (byte)Math.Clamp((int)Math.Round(v * 255), 0, 255);
        return new SKColor(b, b, b);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
