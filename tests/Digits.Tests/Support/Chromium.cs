using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Digits.Tests.Support;

/// <summary>
/// A headless Chromium driven over the Chrome DevTools Protocol (a WebSocket from .NET; no WebDriver, no package):
/// started with a fresh profile and <c>--remote-debugging-port=0</c>, whose port it writes to DevToolsActivePort in
/// the profile. <see cref="Start"/> skips with the reason when Chromium is not installed — and fails when CI=true,
/// where .ci/run installs it.
/// </summary>
public sealed class Chromium : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private int _id;

    private Chromium(Process process, string profile) => (_process, _profile) = (process, profile);

    /// <summary>The Chromium executable on PATH (chromium, chromium-browser, google-chrome), or null.</summary>
    public static string? Find() =>
        new[] { "chromium", "chromium-browser", "google-chrome" }
            .SelectMany(name => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(dir => Path.Combine(dir, name)))
            .FirstOrDefault(File.Exists);

    /// <summary>Starts Chromium on <paramref name="url"/> and connects to that page.</summary>
    public static async Task<Chromium> Start(string url, CancellationToken cancel)
    {
        string? exe = Find();
        if (exe is null)
        {
            const string reason = "Chromium is not installed (apt-get install -y chromium)";
            if (TestBackends.IsCi) Assert.Fail($"{reason}; CI=true requires it");
            Assert.Skip(reason);
        }
        string profile = Directory.CreateTempSubdirectory("digits-chromium-").FullName;
        var info = new ProcessStartInfo(exe!)
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        foreach (string arg in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                     $"--user-data-dir={profile}", "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
                     "--window-size=1100,800", url,
                 })
            info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var browser = new Chromium(process, profile);
        try
        {
            string portFile = Path.Combine(profile, "DevToolsActivePort");
            var clock = Stopwatch.StartNew();
            while (!File.Exists(portFile) || File.ReadAllLines(portFile).Length < 2)
            {
                if (process.HasExited) throw new InvalidOperationException($"Chromium exited with {process.ExitCode}");
                if (clock.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("Chromium wrote no DevToolsActivePort in 30 s");
                await Task.Delay(100, cancel);
            }
            int port = int.Parse(File.ReadAllLines(portFile)[0]);
            using var http = new HttpClient();
            string? socketUrl = null;
            while (socketUrl is null)
            {
                var pages = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list", cancel))!.AsArray();
                socketUrl = pages.FirstOrDefault(p => (string?)p!["type"] == "page")?["webSocketDebuggerUrl"]?.GetValue<string>();
                if (socketUrl is null) await Task.Delay(100, cancel);
                if (clock.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("Chromium showed no page in 30 s");
            }
            await browser._socket.ConnectAsync(new Uri(socketUrl), cancel);
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends one DevTools command and returns its result (events in between are skipped).</summary>
    public async Task<JsonNode> Send(string method, object? parameters, CancellationToken cancel)
    {
        int id = ++_id;
        var message = JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters ?? new { } });
        await _socket.SendAsync(message, WebSocketMessageType.Text, true, cancel);
        var buffer = new byte[1 << 16];
        while (true)
        {
            using var text = new MemoryStream();
            WebSocketReceiveResult received;
            do
            {
                received = await _socket.ReceiveAsync(buffer, cancel);
                text.Write(buffer, 0, received.Count);
            } while (!received.EndOfMessage);
            var reply = JsonNode.Parse(Encoding.UTF8.GetString(text.ToArray()))!;
            if ((int?)reply["id"] != id) continue;
            if (reply["error"] is { } error) throw new InvalidOperationException($"{method}: {error.ToJsonString()}");
            return reply["result"]!;
        }
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page and returns its value as JSON.</summary>
    public async Task<JsonNode?> Evaluate(string expression, CancellationToken cancel)
    {
        var result = await Send("Runtime.evaluate", new { expression, returnByValue = true, awaitPromise = true }, cancel);
        if (result["exceptionDetails"] is { } e) throw new InvalidOperationException($"{expression}: {e.ToJsonString()}");
        return result["result"]!["value"];
    }

    /// <summary>Waits until <paramref name="expression"/> is truthy in the page (polling every 100 ms).</summary>
    public async Task WaitFor(string expression, TimeSpan limit, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await Evaluate($"!!({expression})", cancel);
            if (value is not null && value.GetValue<bool>()) return;
            if (clock.Elapsed > limit) throw new TimeoutException($"'{expression}' did not hold within {limit.TotalSeconds:0} s");
            await Task.Delay(100, cancel);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        }
        catch (WebSocketException) { }
        _socket.Dispose();
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        try { Directory.Delete(_profile, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
