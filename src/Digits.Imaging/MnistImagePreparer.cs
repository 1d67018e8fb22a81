using Digits.Core.Data;

namespace Digits.Imaging;

/// <summary>
/// What a folder dataset's images go through (<see cref="IImagePreparer"/>): <see cref="ImageDecoder.Decode(string)"/>,
/// then <see cref="MnistPreprocessor.Prepare"/> — the very steps <c>digits predict</c> takes — giving 28×28 MNIST-like
/// ink in [0, 1]. A picture in which no digit stands out is refused like a malformed one, naming the file.
/// </summary>
public sealed class MnistImagePreparer : IImagePreparer
{
    /// <summary>The build of this library (its module version id, which the deterministic compiler derives from the
    /// code) and of Skia's codecs: a new build of either prepares cached images again.</summary>
    public string Version { get; } =
        $"Digits.Imaging {typeof(MnistPreprocessor).Module.ModuleVersionId}; SkiaSharp {typeof(SkiaSharp.SKImage).Assembly.GetName().Version}";

    public int Height => MnistFraming.Side;
    public int Width => MnistFraming.Side;
    public IReadOnlySet<string> Extensions => ImageDecoder.FileExtensions;

    /// <inheritdoc/>
    public float[] Prepare(string path)
    {
        var digit = MnistPreprocessor.Prepare(ImageDecoder.Decode(path));
        return digit.Problem switch
        {
            null => digit.Field,
            { } p when p.StartsWith("no digit found", StringComparison.Ordinal) => throw new DataFormatException(path, p),
            { } p => throw new DataFormatException(path, $"no digit found ({p})"),
        };
    }
}
