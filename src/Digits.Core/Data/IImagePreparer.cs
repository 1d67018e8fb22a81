namespace Digits.Core.Data;

/// <summary>
/// How an image file becomes a model input, for folder datasets (<see cref="ImageFolderReader"/>). Core reads no image
/// format: the caller supplies the preparer (Digits.Imaging's <c>MnistImagePreparer</c>: decode, then the same
/// MNIST-style clean-up as <c>predict</c>). Implementations are called from several threads at once.
/// </summary>
public interface IImagePreparer
{
    /// <summary>Identifies the decoders and the preprocessing: prepared images cached under another version are
    /// prepared again, so a change of either never leaves a stale cache in use.</summary>
    string Version { get; }

    /// <summary>Rows of a prepared image.</summary>
    int Height { get; }

    /// <summary>Columns of a prepared image.</summary>
    int Width { get; }

    /// <summary>File-name extensions (lower case, with the dot: ".png") of the files this preparer reads; other files
    /// in a class folder are passed over (and counted in the notes). Only a file's choice depends on its name: it is
    /// decoded by its content.</summary>
    IReadOnlySet<string> Extensions { get; }

    /// <summary>Reads and prepares one image: (<see cref="Height"/>·<see cref="Width"/>) row-major pixels in [0, 1],
    /// 1 = ink, as the datasets store them.</summary>
    /// <exception cref="DataFormatException">the file is not an image this preparer reads, is malformed, or shows
    /// nothing to classify; the message names <paramref name="path"/>.</exception>
    /// <exception cref="IOException">the file cannot be read.</exception>
    float[] Prepare(string path);
}
