using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace Digits.Core.Files;

/// <summary>
/// How Digits opens every file it reads (models, checkpoints, datasets, images): a regular file only, no larger than
/// the reader's bound. A folder, a device (<c>/dev/zero</c> never ends) or a named pipe (opening one blocks until
/// another process opens its other end) is refused at once, by name, and so is a file over the bound — all before a
/// byte is read. The kind is asked of the path first (<see cref="FileChecks.KindOf"/>, so a device is never opened),
/// then the file is opened with <c>O_NONBLOCK</c> and asked again through <c>fstat(2)</c>, so a path swapped for a pipe
/// in between cannot hang the open either. Where Mono.Unix cannot load, the same checks go through
/// <see cref="System.IO"/> (folders and files only).
/// </summary>
public static class InputFile
{
    /// <summary>Opens <paramref name="path"/> for reading (a seekable <see cref="FileStream"/>), after the checks
    /// above. <paramref name="what"/> names the file's role for messages ("a model", "an image").</summary>
    /// <exception cref="FileNotFoundException">nothing is there ("PATH: no such file").</exception>
    /// <exception cref="InputFileException">a folder, a device, a pipe or a socket, or more than
    /// <paramref name="maxBytes"/> bytes.</exception>
    /// <exception cref="UnauthorizedAccessException">the file may not be read.</exception>
    /// <exception cref="IOException">another failure to open it.</exception>
    public static FileStream OpenRead(string path, long maxBytes, string what)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        Require(path, FileChecks.KindOf(path), what);
        var stream = OpenUnix(path, what) ?? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read,
            1 << 16, FileOptions.SequentialScan);
        try
        {
            if (stream.Length > maxBytes) throw TooLarge(path, stream.Length, maxBytes, what);
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads <paramref name="path"/> whole, after the checks of <see cref="OpenRead"/>; <paramref
    /// name="maxBytes"/> is at most <see cref="Array.MaxLength"/>.</summary>
    /// <exception cref="FileNotFoundException">nothing is there.</exception>
    /// <exception cref="InputFileException">not a regular file, or larger than <paramref name="maxBytes"/>.</exception>
    /// <exception cref="IOException">it cannot be read (also: it changed size while read).</exception>
    public static byte[] ReadAllBytes(string path, long maxBytes, string what)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxBytes, Array.MaxLength);
        using var stream = OpenRead(path, maxBytes, what);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        if (stream.ReadByte() >= 0) throw new IOException($"{path} grew while it was read");
        return bytes;
    }

    /// <summary>Throws for a folder, device, pipe or socket. Nothing there passes: opening it says why it failed
    /// (no such file, or a folder on the way that may not be searched).</summary>
    private static void Require(string path, FileKind kind, string what)
    {
        if (kind is FileKind.Regular or FileKind.Missing) return;
        throw new InputFileException(path, kind, $"{path} is {FileChecks.Describe(kind)}; {what} must be a regular file");
    }

    private static InputFileException TooLarge(string path, long bytes, long maxBytes, string what) =>
        new(path, FileKind.Regular, $"{path} is {bytes:N0} bytes, more than the {maxBytes:N0} {what} may have");

    /// <summary>Opens with <c>O_NONBLOCK</c> (a pipe that took the path's place returns at once) and checks the
    /// opened file's kind with <c>fstat(2)</c>; null where Mono.Unix is not available.</summary>
    private static FileStream? OpenUnix(string path, string what)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return null;
        int fd;
        try
        {
            fd = Syscall.open(path, OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK | OpenFlags.O_CLOEXEC);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
        {
            return null;
        }
        if (fd < 0) throw OpenFailed(path, Stdlib.GetLastError());
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            if (Syscall.fstat(fd, out var status) != 0) throw OpenFailed(path, Stdlib.GetLastError());
            Require(path, FileChecks.KindOfMode(status.st_mode), what);
            // A regular file ignores O_NONBLOCK; clear it anyway so the stream is an ordinary blocking one.
            Syscall.fcntl(fd, FcntlCommand.F_SETFL, (long)OpenFlags.O_RDONLY);
            return new FileStream(handle, FileAccess.Read, 1 << 16);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static Exception OpenFailed(string path, Errno errno) => errno switch
    {
        Errno.ENOENT or Errno.ENOTDIR => new FileNotFoundException($"{path}: no such file", path),
        Errno.EACCES or Errno.EPERM => new UnauthorizedAccessException($"{path}: permission denied"),
        _ => new IOException($"{path}: {Stdlib.strerror(errno)}"),
    };
}
