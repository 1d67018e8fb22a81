using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Digits.Cli;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary>A real <c>digits serve</c> (or any verb) as a child process (<c>dotnet digits.dll ARGS</c>), for what an
/// in-process server cannot show: its exit code after a signal, and its own resident memory (/proc/PID/status).
/// </summary>
internal sealed partial class ServeProcess : IAsyncDisposable
{
    private readonly StringBuilder _out = new(), _err = new();
    private readonly TaskCompletionSource<string> _url = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServeProcess(Process process)
    {
        Process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_out) _out.AppendLine(e.Data);
            if (UrlPattern().Match(e.Data) is { Success: true } m) _url.TrySetResult(m.Groups[1].Value);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (_err) _err.AppendLine(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }

    public string Out
    {
        get { lock (_out) return _out.ToString(); }
    }

    public string Err
    {
        get { lock (_err) return _err.ToString(); }
    }

    /// <summary>Starts <c>digits ARGS</c> with its output captured.</summary>
    public static ServeProcess Run(params string[] args)
    {
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";
        var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (string a in args) info.ArgumentList.Add(a);
        return new ServeProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start digits"));
    }

    /// <summary>Starts <c>digits serve --model MODEL --port 0 MORE</c> and waits for the URL it prints.</summary>
    public static async Task<ServeProcess> Serve(string model, CancellationToken cancel, params string[] more)
    {
        var child = Run(["serve", "--model", model, "--port", "0", .. more]);
        var exited = child.Process.WaitForExitAsync(cancel);
        var first = await Task.WhenAny(child._url.Task, exited, Task.Delay(TimeSpan.FromSeconds(60), cancel));
        if (first != child._url.Task)
        {
            await child.DisposeAsync();
            Assert.Fail($"digits serve printed no URL within 60 s (exited: {child.Process.HasExited}); stderr: {child.Err}");
        }
        child.Url = await child._url.Task;
        return child;
    }

    /// <summary>The URL printed, without the final slash (e.g. http://127.0.0.1:40123).</summary>
    public string Url { get; private set; } = "";

    /// <summary>Resident memory now (VmRSS), in bytes.</summary>
    public long Resident => Status("VmRSS");

    /// <summary>The most resident memory so far (VmHWM), in bytes.</summary>
    public long PeakResident => Status("VmHWM");

    private long Status(string field)
    {
        foreach (string line in File.ReadLines($"/proc/{Process.Id}/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0]) * 1024; // "VmRSS:  123456 kB"
        throw new InvalidOperationException($"no {field} in /proc/{Process.Id}/status");
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    public void Signal(int signal) => Assert.Equal(0, Kill(Process.Id, signal));

    /// <summary>Waits up to <paramref name="limit"/> for the process to end; its exit code, or null if it did not.</summary>
    public async Task<int?> Exit(TimeSpan limit, CancellationToken cancel)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(limit);
        try
        {
            await Process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            return null;
        }
        Process.WaitForExit(); // the output events have all been raised
        return Process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }
        Process.Dispose();
    }

    [GeneratedRegex(@"^digits serve: (http://\S+?)/? ")]
    private static partial Regex UrlPattern();
}
