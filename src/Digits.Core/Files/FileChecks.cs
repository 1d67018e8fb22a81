using Mono.Unix.Native;

namespace Digits.Core.Files;

/// <summary>
/// What kind of thing a path names, for the rule that Digits opens, writes and replaces regular files only: a device
/// or a named pipe is refused at once, by name, instead of blocking on a pipe or replacing <c>/dev/null</c> with a
/// file. On Linux and macOS the kind comes from <c>stat(2)</c> through Mono.Unix; elsewhere (or where its native
/// library cannot load) only folders and files are told apart, through <see cref="System.IO"/>.
/// </summary>
public static class FileChecks
{
    /// <summary>What <paramref name="path"/> names, following symbolic links.</summary>
    public static FileKind KindOf(string path)
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            try
            {
                // Failing (ENOENT, or a link to nothing, or a folder we may not search): nothing we can open there.
                return Syscall.stat(path, out var status) == 0 ? KindOfMode(status.st_mode) : FileKind.Missing;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException
                                           or TypeInitializationException)
            {
                // Mono.Unix's native library is not there for this platform (musl, say): fall back to System.IO.
            }
        }
        return Directory.Exists(path) ? FileKind.Directory : File.Exists(path) ? FileKind.Regular : FileKind.Missing;
    }

    /// <summary>The kind in words for a sentence: "a regular file", "a folder", "a character device", "a block
    /// device", "a named pipe", "a socket", "not a regular file" (another kind), "nothing".</summary>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Missing => "nothing",
        FileKind.Regular => "a regular file",
        FileKind.Directory => "a folder",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.NamedPipe => "a named pipe",
        FileKind.Socket => "a socket",
        FileKind.Other => "not a regular file",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Null when <paramref name="path"/> does not exist or is a regular file (or a link to one); otherwise
    /// what it is, in words (see <see cref="Describe"/>).</summary>
    public static string? NotARegularFile(string path) =>
        KindOf(path) is var kind && kind is FileKind.Missing or FileKind.Regular ? null : Describe(kind);

    /// <summary>The kind a <c>stat(2)</c> mode gives (its <c>S_IFMT</c> bits).</summary>
    internal static FileKind KindOfMode(FilePermissions mode) => (mode & FilePermissions.S_IFMT) switch
    {
        FilePermissions.S_IFREG => FileKind.Regular,
        FilePermissions.S_IFDIR => FileKind.Directory,
        FilePermissions.S_IFCHR => FileKind.CharacterDevice,
        FilePermissions.S_IFBLK => FileKind.BlockDevice,
        FilePermissions.S_IFIFO => FileKind.NamedPipe,
        FilePermissions.S_IFSOCK => FileKind.Socket,
        _ => FileKind.Other,
    };
}
