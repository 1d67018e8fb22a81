namespace Digits.Core.Files;

/// <summary>What a path names on the file system (symbolic links followed), as <see cref="FileChecks.KindOf"/> finds
/// it.</summary>
public enum FileKind
{
    /// <summary>Nothing is there: no such path, a link that points nowhere, or a folder on the way that may not be
    /// searched.</summary>
    Missing,

    /// <summary>A regular file: the only kind Digits reads data from or writes and replaces.</summary>
    Regular,

    /// <summary>A folder.</summary>
    Directory,

    /// <summary>A character device such as <c>/dev/null</c> or a terminal.</summary>
    CharacterDevice,

    /// <summary>A block device such as a disk.</summary>
    BlockDevice,

    /// <summary>A named pipe (FIFO): opening it blocks until another process opens the other end.</summary>
    NamedPipe,

    /// <summary>A Unix domain socket.</summary>
    Socket,

    /// <summary>Any other kind a platform has.</summary>
    Other,
}
