using System.Net;
using System.Text.Json;
using Digits.Cli.Commands;
using Digits.Cli.Verbs;
using Digits.Tests.Images;
using Digits.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary><c>digits serve</c>: the server over HTTP, and the page in a real (headless) Chromium — a digit drawn
/// with the mouse on the canvas, a photo uploaded, a bad file refused.</summary>
public sealed class ServeTests(QuickModel quick) : IClassFixture<QuickModel>
{
    private static string Fixture(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);

    private (WebApplication App, string Url) Serve()
    {
        var command = new ServeCommand(new ServeVerb { Model = quick.Path, Port = 0 }, TextWriter.Null, TextWriter.Null);
        var app = command.Start();
        return (app, command.Url!);
    }

    [Fact]
    public async Task The_server_classifies_an_upload_and_answers_bad_ones_with_a_message()
    {
        var cancel = TestContext.Current.CancellationToken;
        var (app, url) = Serve();
        await using var _ = app;
        Assert.StartsWith("http://127.0.0.1:", url);
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        Assert.Contains("<canvas id=\"pad\"", await http.GetStringAsync("/", cancel));

        var seven = await http.PostAsync("/predict", new ByteArrayContent(File.ReadAllBytes(Fixture("fonts", "7_DejaVu-Sans.png"))), cancel);
        using var result = JsonDocument.Parse(await seven.Content.ReadAsStringAsync(cancel));
        Assert.Equal(7, result.RootElement.GetProperty("predicted").GetInt32());
        Assert.Equal(10, result.RootElement.GetProperty("probabilities").GetArrayLength());
        Assert.Equal(784, result.RootElement.GetProperty("field").GetArrayLength());

        var bad = await http.PostAsync("/predict", new ByteArrayContent("not a picture"u8.ToArray()), cancel);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        string text = await bad.Content.ReadAsStringAsync(cancel);
        Assert.Contains("not an image this reader knows", text);
        Assert.DoesNotContain(" at ", text); // no stack trace

        // Expect: 100-continue, so the client waits for the refusal instead of writing 16 MB into a closed connection
        using var request = new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = new ByteArrayContent(new byte[ServeLimits.MaxUpload + 1]) };
        request.Headers.ExpectContinue = true;
        var huge = await http.SendAsync(request, cancel);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        Assert.Contains("larger than 16 MB", await huge.Content.ReadAsStringAsync(cancel));
    }

    /// <summary>Draws a "1" with the mouse (DevTools Input events: the page sees real pointer events), reads the
    /// prediction off the page, uploads a photo of MNIST test digit 0 (a 7) through the file input, and a text
    /// file whose name is not Latin-1. A screenshot after each step goes to $DIGITS_SCREENSHOTS when set.</summary>
    [Fact]
    public async Task In_a_browser_a_drawn_digit_and_an_uploaded_photo_are_classified()
    {
        var cancel = TestContext.Current.CancellationToken;
        var test = RealData.RequireMnist().Test;
        var (app, url) = Serve();
        await using var _ = app;
        await using var browser = await Chromium.Start(url + "/", cancel);
        var limit = TimeSpan.FromSeconds(60); // generous: Chromium on a loaded 2-core machine can stall for many seconds
        await browser.WaitFor("document.readyState === 'complete' && document.getElementById('pad')", limit, cancel);
        var rect = (await browser.Evaluate(
            "(() => { const r = document.getElementById('pad').getBoundingClientRect(); return [r.left, r.top]; })()", cancel))!.AsArray();
        double left = rect[0]!.GetValue<double>(), top = rect[1]!.GetValue<double>();

        async Task Mouse(string type, double x, double y) =>
            await browser.Send("Input.dispatchMouseEvent", new
            {
                type, x = left + x, y = top + y, button = "left", buttons = type == "mouseReleased" ? 0 : 1, clickCount = 1,
                pointerType = "mouse",
            }, cancel);
        await Mouse("mousePressed", 150, 50);
        for (int k = 1; k <= 20; k++) await Mouse("mouseMoved", 150 - k * 0.5, 50 + k * 9);
        await Mouse("mouseReleased", 140, 230);
        await browser.WaitFor("document.getElementById('predicted').textContent === '1'", limit, cancel);
        string shown = (await browser.Evaluate("document.querySelector('.bar.best .p').textContent", cancel))!.GetValue<string>();
        Assert.EndsWith("%", shown);
        await Screenshot(browser, "drawn-1.png", cancel);

        string folder = Directory.CreateTempSubdirectory("digits-upload-").FullName;
        try
        {
            string photo = Path.Combine(folder, "photo.jpg");
            File.WriteAllBytes(photo, PhotoSet.Make(test.Image(0), 3, phone: false).Jpeg);
            await Upload(browser, photo, cancel);
            await browser.WaitFor($"document.getElementById('predicted').textContent === '{test.Labels[0]}' && " +
                                  "document.getElementById('photo').style.display === 'block'", limit, cancel);
            await Screenshot(browser, "photo-7.png", cancel);

            // a name outside Latin-1 cannot go in a header as it is: the page percent-encodes it, the server decodes it
            string note = Path.Combine(folder, "nötiz-٣.txt");
            File.WriteAllText(note, "not a picture");
            await Upload(browser, note, cancel);
            await browser.WaitFor("document.getElementById('error').textContent.startsWith('nötiz-٣.txt: not an image this reader knows')", limit, cancel);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task Upload(Chromium browser, string path, CancellationToken cancel)
    {
        var document = await browser.Send("DOM.getDocument", null, cancel);
        var node = await browser.Send("DOM.querySelector", new { nodeId = document["root"]!["nodeId"]!.GetValue<int>(), selector = "#file" }, cancel);
        await browser.Send("DOM.setFileInputFiles", new { files = new[] { path }, nodeId = node["nodeId"]!.GetValue<int>() }, cancel);
    }

    private static async Task Screenshot(Chromium browser, string name, CancellationToken cancel)
    {
        string? folder = Environment.GetEnvironmentVariable("DIGITS_SCREENSHOTS");
        if (string.IsNullOrEmpty(folder)) return;
        var shot = await browser.Send("Page.captureScreenshot", new { format = "png" }, cancel);
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, name), Convert.FromBase64String(shot["data"]!.GetValue<string>()));
    }
}
