using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Digits.Cli.Commands;
using Digits.Cli.Verbs;
using Digits.Imaging;
using Digits.Tests.Images;
using Microsoft.AspNetCore.Builder;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary>
/// <c>digits serve</c> under clients that hold what they can: hundreds of silent connections, and uploads and headers
/// that trickle at 10 bytes/s, must not keep a normal request from being answered (with 64 idle connections it used to
/// drop every new one, and slow uploads held the decoding slots until a normal request got 503); and large but legal
/// images (16384×4000 PNGs) and uploads must leave the server's memory where it was (each image used to add about
/// 270 MB that stayed). No timing is asserted beyond generous "answered at all within N s" bounds the old server failed.
/// </summary>
public sealed class ServeLoadTests(QuickModel quick) : IClassFixture<QuickModel>
{
    private static byte[] Seven() => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "fonts", "7_DejaVu-Sans.png"));

    [Fact]
    public async Task Idle_connections_and_slow_uploads_leave_a_normal_request_answered_and_are_closed()
    {
        var cancel = TestContext.Current.CancellationToken;
        var command = new ServeCommand(new ServeVerb { Model = quick.Path, Port = 0 }, TextWriter.Null, TextWriter.Null);
        await using WebApplication app = command.Start();
        var url = new Uri(command.Url!);

        var idle = new List<TcpClient>();
        var slow = new List<(TcpClient Client, Task Trickle)>();
        using var stopTrickling = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        try
        {
            for (int i = 0; i < 300; i++) // several times the 64 that used to lock everyone out
            {
                var client = new TcpClient();
                await client.ConnectAsync(url.Host, url.Port, cancel);
                idle.Add(client);
            }
            for (int i = 0; i < 4; i++) // twice the decoding slots
            {
                var client = new TcpClient();
                await client.ConnectAsync(url.Host, url.Port, cancel);
                var stream = client.GetStream();
                await stream.WriteAsync(Encoding.ASCII.GetBytes(
                    $"POST /predict HTTP/1.1\r\nHost: {url.Authority}\r\nContent-Length: 100000\r\n\r\n"), cancel);
                slow.Add((client, Trickle(stream, stopTrickling.Token)));
            }
            for (int i = 0; i < 2; i++) // and request headers that never end
            {
                var client = new TcpClient();
                await client.ConnectAsync(url.Host, url.Port, cancel);
                var stream = client.GetStream();
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: {url.Authority}\r\nX-Slow: "), cancel);
                slow.Add((client, Trickle(stream, stopTrickling.Token)));
            }
            await Task.Delay(TimeSpan.FromSeconds(1), cancel); // the uploads are under way

            using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(20) };
            var clock = Stopwatch.StartNew();
            var answer = await http.PostAsync("/predict", new ByteArrayContent(Seven()), cancel);
            Assert.True(answer.StatusCode == HttpStatusCode.OK,
                $"{answer.StatusCode} after {clock.Elapsed.TotalSeconds:0.0} s: {await answer.Content.ReadAsStringAsync(cancel)}");
            using var result = JsonDocument.Parse(await answer.Content.ReadAsStringAsync(cancel));
            Assert.Equal(7, result.RootElement.GetProperty("predicted").GetInt32());

            // the server closes what stays silent (it used to keep idle connections 130 s) and what trickles
            var bound = ServeLimits.IdleTimeout + ServeLimits.HeadersTimeout + TimeSpan.FromSeconds(10);
            foreach (var client in idle.Take(10).Concat(slow.Select(s => s.Client)))
                Assert.True(await ClosedWithin(client.Client, bound, cancel), $"a connection was still open after {bound.TotalSeconds} s");
        }
        finally
        {
            await stopTrickling.CancelAsync();
            foreach (var client in idle.Concat(slow.Select(s => s.Client))) client.Dispose();
        }
    }

    /// <summary>Sends a byte every 100 ms (10 bytes/s) until cancelled or the server hangs up.</summary>
    private static async Task Trickle(NetworkStream stream, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await stream.WriteAsync("x"u8.ToArray(), stop);
                await Task.Delay(100, stop);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Whether the server closes <paramref name="socket"/> (what it sent is read and dropped) within
    /// <paramref name="limit"/>.</summary>
    private static async Task<bool> ClosedWithin(Socket socket, TimeSpan limit, CancellationToken cancel)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(limit);
        var buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer, timeout.Token) > 0)
            {
            }
            return true;
        }
        catch (SocketException)
        {
            return true; // reset by the server
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Six 16384×4000 PNGs one after another, then two at once, then eight 16 MB uploads at once three times,
    /// to a real <c>digits serve</c>: the process's resident memory afterwards is within 200 MB of where it was (it used
    /// to grow about 270 MB per image and keep it), and its peak stays within what two decodes' RGBA pixels and 200 MB
    /// more can take.</summary>
    [Fact]
    public async Task Large_legal_images_leave_the_memory_where_it_was()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("reads the server's memory from /proc (Linux)");
        var cancel = TestContext.Current.CancellationToken;
        byte[] large = LargePng(16384, 4000);
        Assert.True(16384L * 4000 <= ImageLimits.MaxPixels && large.Length < 200_000, "the image must be large but legal");
        await using var server = await ServeProcess.Serve(quick.Path, cancel);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromSeconds(120) };

        async Task<string> Post(byte[] image, HttpStatusCode expected = HttpStatusCode.OK)
        {
            var answer = await http.PostAsync("/predict", new ByteArrayContent(image), cancel);
            string text = await answer.Content.ReadAsStringAsync(cancel);
            Assert.True(answer.StatusCode == expected, $"{answer.StatusCode}: {text}");
            return text;
        }

        for (int i = 0; i < 3; i++) await Post(Seven()); // warm: the code paths are compiled, the pools filled
        long before = server.Resident;
        for (int i = 0; i < 6; i++) Assert.Contains("\"predicted\":1", await Post(large));
        await Task.WhenAll(Post(large), Post(large));
        // and uploads as large as allowed, eight at once, three times (not images: each is read whole, then refused)
        byte[] noise = new byte[ServeLimits.MaxUpload - 1];
        new Random(3).NextBytes(noise);
        noise[0] = (byte)'x'; // no format starts so
        for (int round = 0; round < 3; round++)
            await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Post(noise, HttpStatusCode.BadRequest)));
        await Post(Seven());
        long after = server.Resident, peak = server.PeakResident;
        const long mb = 1 << 20;
        Assert.True(after - before < 200 * mb,
            $"resident memory went from {before / mb} MB to {after / mb} MB over eight 16384×4000 images and 24 uploads " +
            $"of 16 MB (peak {peak / mb} MB)");
        Assert.True(peak - before < ServeLimits.DecodeSlots * ServeLimits.DecodeBytes + 200 * mb,
            $"resident memory peaked at {peak / mb} MB from {before / mb} MB");
    }

    /// <summary>A white 8-bit gray PNG with a black bar (a "1", 2 % of the width, the middle 60 % of the height),
    /// compressed row by row (about 70 KB for 16384×4000).</summary>
    private static byte[] LargePng(int width, int height)
    {
        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Optimal))
        {
            var row = new byte[1 + width];
            for (int y = 0; y < height; y++)
            {
                Array.Fill(row, (byte)255);
                row[0] = 0; // filter: none
                if (y >= height / 5 && y < height * 4 / 5) Array.Fill(row, (byte)0, 1 + width * 49 / 100, width / 50);
                z.Write(row);
            }
        }
        var header = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)height);
        header[8] = 8; // bits per sample; colour type 0 (gray), deflate, adaptive filtering, no interlace
        return TestPng.File(TestPng.Chunk("IHDR", header), TestPng.Chunk("IDAT", idat.ToArray()), TestPng.Iend());
    }
}
