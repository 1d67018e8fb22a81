using Digits.Core.Data;
using Digits.Imaging;
using Digits.Tests.Images;

namespace Digits.Tests.Data;

/// <summary>Folder datasets for the tests, made from the repository's typed-digit fixtures (Fixtures/fonts: each digit
/// in three fonts, 200×200 PNG) written again in every format <c>predict</c> reads, so no system font is needed.</summary>
internal static class FolderDatasets
{
    /// <summary>The fixture images of <paramref name="digit"/>.</summary>
    public static GrayImage[] Fixtures(int digit) =>
        Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", "fonts"), $"{digit}_*.png")
            .Order(StringComparer.Ordinal).Select(ImageDecoder.Decode).ToArray();

    /// <summary>Writes each fixture of each digit in <paramref name="digits"/> in every format of
    /// <see cref="FontDigitSet.Extensions"/> into <c>folder/&lt;name&gt;/</c>, the class folder named by
    /// <paramref name="name"/> (the digit itself by default); returns the files written (21 per class).</summary>
    public static List<string> Write(string folder, IEnumerable<int> digits, Func<int, string>? name = null)
    {
        var files = new List<string>();
        foreach (int digit in digits)
        {
            string classFolder = Directory.CreateDirectory(Path.Combine(folder, name?.Invoke(digit) ?? $"{digit}")).FullName;
            var images = Fixtures(digit);
            for (int k = 0; k < images.Length; k++)
                foreach (string ext in FontDigitSet.Extensions)
                {
                    string file = Path.Combine(classFolder, $"font{k}{ext}");
                    File.WriteAllBytes(file, FontDigitSet.Encode(images[k], ext, 7 * k + digit));
                    files.Add(file);
                }
        }
        return files;
    }

    /// <summary>The preparer <c>digits</c> uses, counting the images it prepares (to see what the cache saves).
    /// </summary>
    public sealed class CountingPreparer(string? version = null) : IImagePreparer
    {
        private readonly MnistImagePreparer _inner = new();
        private int _prepared;

        public int Prepared => _prepared;
        public string Version => version ?? _inner.Version;
        public int Height => _inner.Height;
        public int Width => _inner.Width;
        public IReadOnlySet<string> Extensions => _inner.Extensions;

        public float[] Prepare(string path)
        {
            Interlocked.Increment(ref _prepared);
            return _inner.Prepare(path);
        }
    }
}
