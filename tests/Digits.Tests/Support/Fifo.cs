using Mono.Unix.Native;
using Xunit;

namespace Digits.Tests.Support;

/// <summary>
/// Named pipes for the tests that give one as input. Opening a pipe to read blocks until something opens it to write,
/// so a reader that opens it instead of refusing it would hang the suite: <see cref="Within{T}"/> runs the reader
/// with a time limit and, past it, opens the pipe itself (<c>O_RDWR</c> never blocks on Linux) so the stuck open
/// returns, and fails the test.
/// </summary>
public static class Fifo
{
    /// <summary>Long enough for a slow CI machine to refuse a path; a reader stuck in open(2) never returns.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    /// <summary>Makes a named pipe at <paramref name="path"/> (mode 0600), or skips where there are none.</summary>
    public static string Make(string path)
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("needs mkfifo (Linux)");
        Assert.Equal(0, Syscall.mkfifo(path, FilePermissions.S_IRUSR | FilePermissions.S_IWUSR));
        return path;
    }

    /// <summary>Runs <paramref name="read"/>, which is given the pipe <paramref name="fifo"/>, within
    /// <see cref="Limit"/>; past it, unblocks the pipe and fails naming <paramref name="what"/>.</summary>
    public static T Within<T>(string fifo, string what, Func<T> read)
    {
        var task = Task.Run(read);
        if (task.Wait(Limit)) return task.Result;
        int fd = Syscall.open(fifo, OpenFlags.O_RDWR | OpenFlags.O_NONBLOCK);
        Thread.Sleep(100);
        if (fd >= 0) Syscall.close(fd);
        Assert.Fail($"{what} blocked on the named pipe {fifo} for {Limit.TotalSeconds:0} s: it opened it instead of refusing it");
        return default!;
    }
}
