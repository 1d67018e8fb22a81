using System.Net.Sockets;
using System.Text;
using Digits.Cli.Commands;
using Digits.Cli.Verbs;
using Microsoft.AspNetCore.Builder;

namespace Digits.Tests.Cli;

/// <summary>
/// A <c>digits serve</c> started in this process (<see cref="ServeCommand.Start"/>) with an <see cref="HttpClient"/>
/// bound to it, and what the serve tests send it: <see cref="Seven"/>, and raw bytes on connections of their own for
/// what <see cref="HttpClient"/> will not send. <see cref="ServeProcess"/> is the same server as a child process.
/// Disposing it disposes the client, then stops the server.
/// </summary>
internal sealed class InProcessServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessServer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
        Http = new HttpClient { BaseAddress = url };
    }

    /// <summary>Starts <c>digits serve</c> as <paramref name="verb"/> says (with <c>Port = 0</c>, on a free port);
    /// what it prints goes to <paramref name="stdout"/> and <paramref name="stderr"/> (by default nowhere).</summary>
    public static InProcessServer Start(ServeVerb verb, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var command = new ServeCommand(verb, stdout ?? TextWriter.Null, stderr ?? TextWriter.Null);
        var app = command.Start();
        return new InProcessServer(app, new Uri(command.Url!));
    }

    /// <summary>The first URL the server printed, e.g. http://127.0.0.1:40123/.</summary>
    public Uri Url { get; }

    /// <summary>A client whose relative requests go to <see cref="Url"/> (its Timeout may be set before the first
    /// request).</summary>
    public HttpClient Http { get; }

    /// <summary>A PNG of a typed 7 (the DejaVu Sans fixture), which the quick model reads as 7.</summary>
    public static byte[] Seven() =>
        File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "fonts", "7_DejaVu-Sans.png"));

    /// <summary>A new TCP connection to the server, nothing sent.</summary>
    public async Task<TcpClient> Connect(CancellationToken cancel)
    {
        var client = new TcpClient();
        try
        {
            await client.ConnectAsync(Url.Host, Url.Port, cancel);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Sends <paramref name="request"/> on its own connection and reads until the server closes it (or
    /// stops reading what is left of the request): the raw answer, as UTF-8.</summary>
    public async Task<string> Exchange(byte[] request, CancellationToken cancel)
    {
        using var client = await Connect(cancel);
        var stream = client.GetStream();
        var sending = Task.Run(async () =>
        {
            try
            {
                await stream.WriteAsync(request, cancel);
            }
            catch (IOException)
            {
                // the server answered and closed before taking it all
            }
        }, cancel);
        var answer = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, cancel)) > 0) answer.Write(buffer, 0, n);
        }
        catch (IOException)
        {
            // reset after the answer
        }
        await sending;
        return Encoding.UTF8.GetString(answer.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.DisposeAsync();
    }
}
