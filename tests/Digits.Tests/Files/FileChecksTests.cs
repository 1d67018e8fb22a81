using System.Net.Sockets;
using Digits.Core.Files;
using Digits.Tests.Model;
using Xunit;

namespace Digits.Tests.Files;

/// <summary><see cref="FileChecks"/> tells every kind of file apart through stat(2) (Mono.Unix), links followed: a
/// device, pipe or socket would pass for a regular file if only System.IO were asked (File.Exists is true for all).
/// </summary>
public sealed class FileChecksTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("digits-filechecks-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Every_kind_is_told_apart_and_links_are_followed()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("needs mkfifo and /dev/null (Linux)");
        string file = Path.Combine(_dir, "file"), fifo = Path.Combine(_dir, "pipe");
        string socket = Path.Combine(_dir, "socket");
        File.WriteAllText(file, "x");
        Assert.Equal(0, ModelFileTests.MakeFifo(fifo, 0x180));
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socket));
        File.CreateSymbolicLink(Path.Combine(_dir, "to-file"), file);
        File.CreateSymbolicLink(Path.Combine(_dir, "to-null"), "/dev/null");
        File.CreateSymbolicLink(Path.Combine(_dir, "to-nothing"), Path.Combine(_dir, "absent"));

        Assert.Equal(FileKind.Regular, FileChecks.KindOf(file));
        Assert.Equal(FileKind.Directory, FileChecks.KindOf(_dir));
        Assert.Equal(FileKind.Missing, FileChecks.KindOf(Path.Combine(_dir, "absent")));
        Assert.Equal(FileKind.CharacterDevice, FileChecks.KindOf("/dev/null"));
        Assert.Equal(FileKind.NamedPipe, FileChecks.KindOf(fifo));
        Assert.Equal(FileKind.Socket, FileChecks.KindOf(socket));
        Assert.Equal(FileKind.Regular, FileChecks.KindOf(Path.Combine(_dir, "to-file")));
        Assert.Equal(FileKind.CharacterDevice, FileChecks.KindOf(Path.Combine(_dir, "to-null")));
        Assert.Equal(FileKind.Missing, FileChecks.KindOf(Path.Combine(_dir, "to-nothing")));
    }

    [Fact]
    public void Only_a_regular_file_or_nothing_passes_and_the_rest_is_named()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("needs /dev/null (Linux)");
        string file = Path.Combine(_dir, "file");
        File.WriteAllText(file, "x");
        Assert.Null(FileChecks.NotARegularFile(file));
        Assert.Null(FileChecks.NotARegularFile(Path.Combine(_dir, "absent")));
        Assert.Equal("a folder", FileChecks.NotARegularFile(_dir));
        Assert.Equal("a character device", FileChecks.NotARegularFile("/dev/null"));
        Assert.Equal(["nothing", "a regular file", "a folder", "a character device", "a block device", "a named pipe",
            "a socket", "not a regular file"], Enum.GetValues<FileKind>().Select(FileChecks.Describe));
    }
}
