using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Digits.Tests.Data;

/// <summary>What <see cref="LocalHttpServer"/> answers for a path: the body, and the Content-Length to claim
/// (default: the body's length; a larger one makes the connection end early).</summary>
internal sealed record Reply(byte[] Body, long? DeclaredLength = null);

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 at a free port, for download tests: answers GET requests one connection
/// at a time from <c>files(path)</c> (404 when null), with <c>Connection: close</c>. Bounded: it serves at most
/// <c>maxRequests</c> requests and stops by itself after <c>lifetime</c> (default 60 s), or on dispose.
/// </summary>
internal sealed class LocalHttpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop;
    private readonly Func<string, Reply?> _files;
    private readonly Task _loop;

    public LocalHttpServer(Func<string, Reply?> files, int maxRequests = 16, TimeSpan? lifetime = null)
    {
        _files = files;
        _stop = new CancellationTokenSource(lifetime ?? TimeSpan.FromSeconds(60));
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = Task.Run(() => ServeAsync(maxRequests));
    }

    /// <summary>Serves the files of <paramref name="folder"/> by name, with <paramref name="change"/> applied to
    /// any of them.</summary>
    public static LocalHttpServer ForFolder(string folder, Func<string, byte[], byte[]>? change = null) =>
        new(path => File.Exists(Path.Combine(folder, path)) && !path.Contains('/')
            ? new Reply((change ?? ((_, b) => b))(path, File.ReadAllBytes(Path.Combine(folder, path))))
            : null);

    public int Port { get; }

    public Uri BaseUrl => new($"http://127.0.0.1:{Port}/");

    /// <summary>The paths requested so far, in order.</summary>
    public ConcurrentQueue<string> Requested { get; } = new();

    /// <summary>A port nothing listens on (bound, read and released), for "host unreachable" tests.</summary>
    public static int ClosedPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private async Task ServeAsync(int maxRequests)
    {
        try
        {
            for (int i = 0; i < maxRequests; i++)
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                await AnswerAsync(client.GetStream(), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException
            or ObjectDisposedException) { }
        finally { _listener.Stop(); }
    }

    private async Task AnswerAsync(NetworkStream stream, CancellationToken cancel)
    {
        using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
        string? request = await reader.ReadLineAsync(cancel);
        while (!string.IsNullOrEmpty(await reader.ReadLineAsync(cancel))) { } // headers
        string path = request?.Split(' ') is [_, var target, ..] ? target.TrimStart('/') : "";
        Requested.Enqueue(path);
        Reply? reply = _files(path);
        string head = reply is null
            ? "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            : "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n" +
              $"Content-Length: {reply.DeclaredLength ?? reply.Body.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancel);
        if (reply is not null) await stream.WriteAsync(reply.Body, cancel);
        await stream.FlushAsync(cancel);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _loop.Wait(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}
