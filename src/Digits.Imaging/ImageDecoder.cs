using Digits.Core.Data;

namespace Digits.Imaging;

/// <summary>Decodes an image file by its leading bytes (not its extension): PNG, JPEG, WebP, GIF, BMP and ICO through
/// <see cref="SkiaDecoder"/>, PGM and PBM (which Skia does not read) through <see cref="PnmDecoder"/>.</summary>
public static class ImageDecoder
{
    /// <summary>What <c>predict</c> reads, for messages and help.</summary>
    public const string Formats = "PNG, JPEG, WebP, GIF, BMP, ICO, PGM P2/P5 or PBM P1/P4";

    /// <summary>The file-name extensions of those formats, for picking the images among other files in a folder
    /// (folder datasets); a file is still decoded by its content, whatever its name.</summary>
    public static IReadOnlySet<string> FileExtensions { get; } = new HashSet<string>(
        [".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".webp", ".gif", ".bmp", ".dib", ".ico", ".pgm", ".pbm", ".pnm"],
        StringComparer.Ordinal);

    /// <summary>Reads <paramref name="path"/> and decodes it as whichever supported format it is.</summary>
    /// <exception cref="DataFormatException">not a supported format, too large, or malformed.</exception>
    /// <exception cref="IOException">missing or unreadable (including <see cref="FileNotFoundException"/>).</exception>
    public static GrayImage Decode(string path) => Decode(ImageLimits.ReadFile(path), path);

    /// <summary>Decodes bytes whose format is recognized by their start; <paramref name="name"/> is for messages.</summary>
    /// <exception cref="DataFormatException">not a supported format, too large, or malformed.</exception>
    public static GrayImage Decode(ReadOnlySpan<byte> file, string name) => Decode(file, name, int.MaxValue);

    /// <summary>Decodes bytes whose format is recognized by their start, shrunk while decoding to at most
    /// <paramref name="maxSide"/> pixels a side (<see cref="Resampling.ShrinkToFit"/>; bit for bit what shrinking
    /// the full-size picture gives). With <see cref="PhotoCleanup.WorkingSide"/> the result is what
    /// <see cref="MnistPreprocessor"/> would shrink it to anyway, at a fraction of the memory: a long-running caller
    /// (<c>digits serve</c>) never holds a 64-megapixel picture as floats.</summary>
    /// <exception cref="DataFormatException">not a supported format, too large, or malformed.</exception>
    public static GrayImage Decode(ReadOnlySpan<byte> file, string name, int maxSide)
    {
        if (file.Length >= 2 && file[0] == 'P' && file[1] is (byte)'1' or (byte)'2' or (byte)'4' or (byte)'5')
            return PnmDecoder.Decode(file, name, maxSide);
        if (SkiaDecoder.Recognizes(file)) return SkiaDecoder.Decode(file, name, maxSide);
        throw new DataFormatException(name, $"not an image this reader knows ({Formats})");
    }
}
