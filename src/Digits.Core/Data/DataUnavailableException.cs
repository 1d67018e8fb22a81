namespace Digits.Core.Data;

/// <summary>
/// A dataset's files are neither on disk nor obtainable: not found where the <see cref="DataLocation"/> points,
/// downloading is off, the host is unreachable, the server answered with an error, or a download failed its
/// checksum. Thrown by <see cref="DatasetLoader"/> with a message that says where it looked (every folder tried),
/// what failed, and how to fix it; thrown by <see cref="Downloader"/> with what failed for one file.
/// </summary>
public sealed class DataUnavailableException : Exception
{
    public DataUnavailableException(string message, Exception? inner = null) : base(message, inner) { }
}
