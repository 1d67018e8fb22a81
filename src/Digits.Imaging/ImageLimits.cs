using Digits.Core.Data;
using Digits.Core.Files;

namespace Digits.Imaging;

/// <summary>Bounds every decoder checks before it allocates, so a hostile header cannot ask for gigabytes.</summary>
public static class ImageLimits
{
    /// <summary>Largest width or height accepted, in pixels.</summary>
    public const int MaxSide = 16384;

    /// <summary>Largest width·height accepted (a 64-megapixel photo; 256 MB as float32).</summary>
    public const long MaxPixels = 64L * 1024 * 1024;

    /// <summary>Largest file read, in bytes.</summary>
    public const long MaxFileBytes = 256L * 1024 * 1024;

    /// <summary>Pixels a compressed file may declare per byte it holds, beyond <see cref="FreePixels"/>. Deflate
    /// cannot do better than about 1032:1, so an 8-bit PNG of a blank page stays under it, and photos (JPEG, WebP)
    /// are far below; what it refuses is a tiny file whose header (or a GIF's canvas) claims millions of pixels —
    /// a decompression bomb — so decoding memory and time stay in proportion to the file.</summary>
    public const long PixelsPerFileByte = 4096;

    /// <summary>Pixels any file may declare whatever its size (a 1024×1024 image).</summary>
    public const long FreePixels = 1L << 20;

    /// <summary>The most pixels a compressed file of <paramref name="fileBytes"/> bytes may declare.</summary>
    public static long MaxPixelsFor(long fileBytes) => Math.Min(MaxPixels, FreePixels + PixelsPerFileByte * fileBytes);

    /// <summary>Reads <paramref name="path"/> whole through <see cref="InputFile"/>: a regular file of at most
    /// <see cref="MaxFileBytes"/>, refused before a byte is read otherwise.</summary>
    /// <exception cref="FileNotFoundException">no such file.</exception>
    /// <exception cref="InputFileException">a folder, device, pipe or socket, or too large.</exception>
    /// <exception cref="IOException">unreadable.</exception>
    public static byte[] ReadFile(string path) => InputFile.ReadAllBytes(path, MaxFileBytes, "an image");

    /// <summary>Throws unless width and height are each in 1..<see cref="MaxSide"/> and their product is at most
    /// <see cref="MaxPixels"/>.</summary>
    public static void Check(string name, long width, long height)
    {
        if (width < 1 || height < 1)
            throw new DataFormatException(name, $"image size {width}×{height} is empty");
        if (width > MaxSide || height > MaxSide || width * height > MaxPixels)
            throw new DataFormatException(name,
                $"image size {width}×{height} is larger than this reader accepts ({MaxSide} per side, {MaxPixels:N0} pixels)");
    }

    /// <summary><see cref="Check"/>, and for a compressed file also that <paramref name="width"/>·<paramref
    /// name="height"/> is at most <see cref="MaxPixelsFor"/> its size: a decompression bomb is refused here, before
    /// any pixel is decoded.</summary>
    public static void CheckCompressed(string name, long width, long height, long fileBytes)
    {
        Check(name, width, height);
        if (width * height > MaxPixelsFor(fileBytes))
            throw new DataFormatException(name,
                $"image size {width}×{height} is more than a {fileBytes:N0}-byte file can hold (at most {MaxPixelsFor(fileBytes):N0} " +
                "pixels); refused as a decompression bomb");
    }
}
