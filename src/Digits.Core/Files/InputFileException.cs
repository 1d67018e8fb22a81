namespace Digits.Core.Files;

/// <summary>An input file that is not one Digits reads: a folder, a device, a pipe or a socket, or a regular file
/// over the reader's bound. The message names the file and says which.</summary>
public sealed class InputFileException(string path, FileKind kind, string message) : IOException(message)
{
    /// <summary>The file, as the caller named it.</summary>
    public string FilePath { get; } = path;

    /// <summary>What the path names (<see cref="FileKind.Regular"/> when it was refused for its size).</summary>
    public FileKind Kind { get; } = kind;
}
