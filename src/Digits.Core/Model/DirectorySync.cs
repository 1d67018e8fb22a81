using System.Runtime.InteropServices;

namespace Digits.Core.Model;

/// <summary>
/// Flushes a folder's entries to disk (POSIX <c>fsync</c> on the folder), so a file just renamed into it survives a
/// power cut as well as a crash: after write, fsync and rename, the rename itself is only durable once the folder
/// is synced (see the Linux <c>fsync(2)</c> manual page). Best effort: a platform or file system that refuses it
/// (Windows has no folder fsync) is skipped silently, since the data file itself is already on disk.
/// </summary>
internal static partial class DirectorySync
{
    public static void Flush(string folder)
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())) return;
        try
        {
            int fd = Open(folder, 0 /* O_RDONLY */);
            if (fd < 0) return;
            _ = Fsync(fd);
            _ = Close(fd);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
