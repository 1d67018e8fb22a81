namespace Digits.Core.Data;

/// <summary>
/// A data file (IDX or CSV) is malformed: wrong magic number, truncated, trailing bytes, a header that claims more
/// data than the file holds, an unexpected image size, a label out of range, a bad CSV cell. The
/// <see cref="Exception.Message"/> always starts with the file and says what is wrong, e.g.
/// "train-images-idx3-ubyte.gz: header claims 60000 images of 28×28 (47040000 bytes) but the file holds only
/// 1000 bytes after the header" or "train.csv: row 17, column 'pixel300': 'abc' is not an integer 0–255".
/// </summary>
public sealed class DataFormatException : Exception
{
    /// <param name="path">The file (or, for a stream, the name the caller gave it).</param>
    /// <param name="problem">What is wrong, without the file name.</param>
    /// <param name="inner">The lower-level failure, e.g. an <see cref="InvalidDataException"/> from gzip.</param>
    public DataFormatException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner)
    {
        FilePath = path;
        Problem = problem;
    }

    /// <summary>The file the problem is in, as the caller named it.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Problem { get; }
}
