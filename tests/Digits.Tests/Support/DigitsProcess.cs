using System.Diagnostics;
using Digits.Cli;

namespace Digits.Tests.Support;

/// <summary>
/// Runs <c>dotnet digits.dll ARGS</c> as a child process, for what must not be tried in the test process itself: an
/// input that a regression would read without end (<c>/dev/zero</c>) or block on for ever (a named pipe). The child
/// gets a time limit, after which it is killed, and a 512 MiB heap (<c>DOTNET_GCHeapHardLimit</c>), so a regression
/// fails the test in seconds instead of hanging the suite or taking the machine's memory.
/// </summary>
public static class DigitsProcess
{
    /// <summary>The result: <c>Code</c> is null when the child was killed at the time limit.</summary>
    public static (int? Code, string Out, string Err) Run(string[] args, TimeSpan limit, string? workingDirectory = null)
    {
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";
        var info = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        info.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (string a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_GCHeapHardLimit"] = "0x20000000";
        using var child = Process.Start(info) ?? throw new InvalidOperationException("could not start digits");
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        bool exited = child.WaitForExit(limit);
        if (!exited) child.Kill(entireProcessTree: true);
        child.WaitForExit();
        return (exited ? child.ExitCode : null, stdout.Result, stderr.Result);
    }
}
