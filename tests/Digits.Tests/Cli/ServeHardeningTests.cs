using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Digits.Cli.Commands;
using Digits.Cli.Verbs;
using Microsoft.AspNetCore.Builder;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary>
/// <c>digits serve</c> against requests a hostile page or client sends, over real sockets: every answer says
/// nosniff; a Host that is not the server's (DNS rebinding) and a POST from another origin (CSRF, including a
/// <c>text/plain</c> "simple" request) are refused; a file name comes back JSON-escaped without control characters;
/// a malformed chunked body is told apart from a large one; <c>--threads 100000</c> is refused like the other verbs
/// refuse it; SIGINT and SIGTERM end it with exit code 130 as its help says; and <c>--host 0.0.0.0</c> warns and
/// prints URLs a browser can open.
/// </summary>
public sealed class ServeHardeningTests(QuickModel quick) : IClassFixture<QuickModel>
{
    private static byte[] Seven() => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "fonts", "7_DejaVu-Sans.png"));

    private (WebApplication App, Uri Url) Serve(string host = "127.0.0.1", TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var command = new ServeCommand(new ServeVerb { Model = quick.Path, Port = 0, Host = host },
            stdout ?? TextWriter.Null, stderr ?? TextWriter.Null);
        var app = command.Start();
        return (app, new Uri(command.Url!));
    }

    private static HttpRequestMessage Post(string path, byte[] body, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        foreach (var (name, value) in headers)
            if (!request.Headers.TryAddWithoutValidation(name, value)) request.Content.Headers.TryAddWithoutValidation(name, value);
        return request;
    }

    [Fact]
    public async Task Every_answer_says_nosniff()
    {
        var cancel = TestContext.Current.CancellationToken;
        var (app, url) = Serve();
        await using var _ = app;
        using var http = new HttpClient { BaseAddress = url };
        HttpResponseMessage[] answers =
        [
            await http.GetAsync("/", cancel),
            await http.SendAsync(Post("/predict", Seven()), cancel),
            await http.SendAsync(Post("/predict", "not a picture"u8.ToArray()), cancel),
            await http.GetAsync("/nothing-here", cancel),
            await http.SendAsync(Post("/predict", Seven(), ("Host", "elsewhere.example")), cancel),
            await http.SendAsync(Post("/predict", Seven(), ("Origin", "http://elsewhere.example")), cancel),
        ];
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.BadRequest, HttpStatusCode.NotFound,
            HttpStatusCode.MisdirectedRequest, HttpStatusCode.Forbidden], answers.Select(a => a.StatusCode));
        foreach (var answer in answers)
            Assert.Equal(["nosniff"], answer.Headers.GetValues("X-Content-Type-Options"));
    }

    [Fact]
    public async Task A_Host_that_is_not_the_server_is_refused()
    {
        var cancel = TestContext.Current.CancellationToken;
        var (app, url) = Serve();
        await using var _ = app;
        using var http = new HttpClient { BaseAddress = url };
        foreach (string host in new[] { "rebound.example", $"rebound.example:{url.Port}", $"127.0.0.1:{url.Port + 1}", "127.0.0.2" })
        {
            var refused = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { Host = host } }, cancel);
            Assert.True(refused.StatusCode == HttpStatusCode.MisdirectedRequest, $"Host: {host} → {refused.StatusCode}");
            Assert.Contains("does not name this server", await refused.Content.ReadAsStringAsync(cancel));
            var predict = await http.SendAsync(Post("/predict", Seven(), ("Host", host)), cancel);
            Assert.Equal(HttpStatusCode.MisdirectedRequest, predict.StatusCode);
        }
        foreach (string host in new[] { url.Authority, $"localhost:{url.Port}", $"LOCALHOST:{url.Port}" })
        {
            var served = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { Host = host } }, cancel);
            Assert.True(served.StatusCode == HttpStatusCode.OK, $"Host: {host} → {served.StatusCode}");
        }
    }

    [Fact]
    public async Task A_POST_from_another_origin_is_refused_and_the_page_s_own_is_served()
    {
        var cancel = TestContext.Current.CancellationToken;
        var (app, url) = Serve();
        await using var _ = app;
        using var http = new HttpClient { BaseAddress = url };
        // a form or fetch from another site: a "simple" request (text/plain) needs no preflight, so only the server
        // can stop it; "null" is what a sandboxed frame or a file:// page sends
        foreach (string origin in new[] { "http://elsewhere.example", $"http://localhost.example:{url.Port}", "null", $"https://{url.Authority}" })
        {
            var refused = await http.SendAsync(Post("/predict", Seven(), ("Origin", origin), ("Content-Type", "text/plain")), cancel);
            string text = await refused.Content.ReadAsStringAsync(cancel);
            Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"Origin: {origin} → {refused.StatusCode}: {text}");
            Assert.DoesNotContain("predicted", text);
        }
        foreach (var headers in new (string, string)[][] { [("Origin", $"http://{url.Authority}")], [] })
        {
            var served = await http.SendAsync(Post("/predict", Seven(), headers), cancel);
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            Assert.Contains("\"predicted\":7", await served.Content.ReadAsStringAsync(cancel));
        }
    }

    [Fact]
    public async Task A_file_name_comes_back_escaped_without_control_characters()
    {
        var cancel = TestContext.Current.CancellationToken;
        var (app, url) = Serve();
        await using var _ = app;
        using var http = new HttpClient { BaseAddress = url };
        // as the page sends it (percent-encoded: markup, a quote, ESC, a right-to-left override, a path) and raw (ASCII
        // only in a header: markup, a quote, ESC, DEL, a path)
        foreach (string sent in new[] { "dir%2F%3Cimg%20src%3Dx%3E%22%1B%5B31m%E2%80%AEgnp.txt", "a/b/<b>\"\u001b[2J\u007fevil.png" })
        {
            var answer = await http.SendAsync(Post("/predict", "not a picture"u8.ToArray(), ("X-File-Name", sent)), cancel);
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
            string raw = await answer.Content.ReadAsStringAsync(cancel);
            Assert.DoesNotContain("<", raw);
            Assert.DoesNotContain(">", raw);
            string error = JsonDocument.Parse(raw).RootElement.GetProperty("error").GetString()!;
            Assert.DoesNotContain(error, char.IsControl);
            Assert.DoesNotContain('\u202E', error);
            Assert.DoesNotContain("/", error.Split(':')[0]);
            Assert.Matches(sent.StartsWith("dir", StringComparison.Ordinal) ? "^<img src=x>\"\\[31mgnp\\.txt: not an image" : "^<b>\"\\[2Jevil\\.png: not an image", error);
        }
    }

    [Fact]
    public async Task A_malformed_chunked_body_is_told_apart_from_a_large_one()
    {
        var cancel = TestContext.Current.CancellationToken;
        var (app, url) = Serve();
        await using var _ = app;
        string Head(string body) =>
            $"POST /predict HTTP/1.1\r\nHost: {url.Authority}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{body}";

        string malformed = await Exchange(url, Encoding.ASCII.GetBytes(Head("ZZZ\r\nabc\r\n0\r\n\r\n")), cancel);
        Assert.StartsWith("HTTP/1.1 400", malformed);
        Assert.Contains("malformed", malformed);
        Assert.DoesNotContain("larger than", malformed);

        // 17 chunks of 1 MB: well-formed, too large
        var large = new MemoryStream();
        large.Write(Encoding.ASCII.GetBytes(Head("")));
        for (int i = 0; i < 17; i++)
        {
            large.Write(Encoding.ASCII.GetBytes($"{1 << 20:x}\r\n"));
            large.Write(new byte[1 << 20]);
            large.Write("\r\n"u8);
        }
        large.Write("0\r\n\r\n"u8);
        string tooLarge = await Exchange(url, large.ToArray(), cancel);
        Assert.StartsWith("HTTP/1.1 413", tooLarge);
        Assert.Contains("larger than 16 MB", tooLarge);
    }

    /// <summary>Sends <paramref name="request"/> on its own connection and reads until the server closes it (or
    /// stops reading what is left of the request).</summary>
    private static async Task<string> Exchange(Uri url, byte[] request, CancellationToken cancel)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(url.Host, url.Port, cancel);
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

    [Fact]
    public async Task Too_many_threads_are_refused_before_anything_starts()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var child = ServeProcess.Run("serve", "--model", quick.Path, "--port", "0", "--threads", "100000");
        int? code = await child.Exit(TimeSpan.FromSeconds(60), cancel);
        Assert.True(code == ExitCodes.UsageOrInput, $"exit code {code?.ToString() ?? "none after 60 s"}; stderr: {child.Err}");
        Assert.StartsWith("digits: --threads 100000 is more than", child.Err);
        Assert.DoesNotContain("http://", child.Out);
    }

    [Theory]
    [InlineData(2, "SIGINT")]
    [InlineData(15, "SIGTERM")]
    public async Task A_signal_stops_the_server_with_exit_code_130(int signal, string name)
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("needs POSIX signals (Linux)");
        var cancel = TestContext.Current.CancellationToken;
        await using var server = await ServeProcess.Serve(quick.Path, cancel);
        using (var http = new HttpClient { BaseAddress = new Uri(server.Url) })
            Assert.Contains("<canvas", await http.GetStringAsync("/", cancel));
        server.Signal(signal);
        int? code = await server.Exit(TimeSpan.FromSeconds(30), cancel);
        Assert.True(code == ExitCodes.Interrupted, $"{name}: exit code {code?.ToString() ?? "none after 30 s"}; stderr: {server.Err}");
        Assert.Equal("digits: interrupted; the server stopped", server.Err.Trim());
    }

    [Fact]
    public async Task On_every_interface_it_warns_and_prints_URLs_a_browser_can_open()
    {
        var cancel = TestContext.Current.CancellationToken;
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var (app, url) = Serve("0.0.0.0", stdout, stderr);
        await using var _ = app;
        Assert.DoesNotContain("0.0.0.0:", stdout.ToString());
        Assert.StartsWith($"digits serve: http://127.0.0.1:{url.Port}/ ", stdout.ToString());
        Assert.Equal(
            "digits: warning: --host 0.0.0.0 listens on the network: anyone who can reach this machine can use the model " +
            "(no password, no encryption); use 127.0.0.1 to keep it to this machine", stderr.ToString().Trim());
        using var http = new HttpClient { BaseAddress = url };
        Assert.Contains("<canvas", await http.GetStringAsync("/", cancel));
        // every other URL printed names this server too (the Host check accepts it)
        foreach (string line in stdout.ToString().Split('\n').Where(l => l.StartsWith("digits serve: also ", StringComparison.Ordinal)))
        {
            var other = new Uri(line["digits serve: also ".Length..].Trim());
            var answer = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { Host = other.Authority } }, cancel);
            Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{other} → {answer.StatusCode}");
        }
    }

    [Fact]
    public void The_help_states_the_limits()
    {
        var (code, help, _) = Support.DigitsCli.Run("serve", "--help");
        Assert.Equal(0, code);
        string flat = string.Join(' ', help.Split((char[])['\n', ' '], StringSplitOptions.RemoveEmptyEntries));
        foreach (string limit in new[]
                 {
                     $"at most {ServeLimits.MaxConnections} connections", $"closed after {ServeLimits.IdleTimeout.TotalSeconds:0} s",
                     $"headers within {ServeLimits.HeadersTimeout.TotalSeconds:0} s", "at most 16 MB",
                     $"whole within {ServeLimits.BodyTimeout.TotalSeconds:0} s", $"of {ServeLimits.DecodeSlots} decoding slots",
                     "megapixels", "Stop with Ctrl+C (exit code 130)",
                 })
            Assert.Contains(limit, flat);
    }
}
