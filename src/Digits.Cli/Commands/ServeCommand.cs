using System.Net;
using System.Text.Json;
using Digits.Cli.Verbs;
using Digits.Core.Data;
using Digits.Imaging;
using Digits.Core.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Digits.Cli.Commands;

/// <summary>
/// <c>digits serve</c>: a local web page (ASP.NET Core, Kestrel) to draw a digit or drop a photo on. <c>GET /</c> is
/// the page; <c>POST /predict</c> takes an image file's bytes (any format <see cref="ImageDecoder"/> reads; the page
/// sends its canvas as PNG) and answers JSON: predicted, probabilities (ten), field (the 28×28 input, 784 levels),
/// or problem (no digit found), or error (a bad image, HTTP 400; never a stack trace). The model is loaded once; one
/// network of batch 1 on the cpu serves every request in turn. Bounds: a body of at most <see cref="MaxUpload"/>
/// bytes, at most <see cref="MaxConcurrent"/> requests decoding at once (more wait up to 5 s, then get 503).
/// </summary>
internal sealed class ServeCommand(ServeVerb verb, TextWriter stdout, TextWriter stderr)
{
    /// <summary>The largest upload accepted, 16 MB (a phone photo is 2–8 MB).</summary>
    public const long MaxUpload = 16L * 1024 * 1024;

    /// <summary>Requests decoding and classifying at the same time.</summary>
    public const int MaxConcurrent = 2;

    private readonly SemaphoreSlim _slots = new(MaxConcurrent);
    private readonly Lock _model = new();

    public int Run()
    {
        var app = Start();
        // the host's console lifetime stops the app on Ctrl+C (SIGINT) and SIGTERM
        app.WaitForShutdownAsync().GetAwaiter().GetResult();
        return ExitCodes.Success;
    }

    /// <summary>Loads the model, starts listening and prints the page's URL; the caller stops the app.</summary>
    public WebApplication Start()
    {
        var model = SavedModel.Load(verb.Model);
        SavedModel.RequireImageInput(model, verb.Model, MnistFraming.Side);
        if (!IPAddress.TryParse(verb.Host, out var address))
            throw new UsageException($"--host {verb.Host}: not an IP address (e.g. 127.0.0.1, or 0.0.0.0 for every interface)");
        if (verb.Port is < 0 or > 65535) throw new UsageException($"--port {verb.Port}: must be 0..65535");
        var device = DeviceSelector.Open("cpu", verb.Threads ?? 1);
        var network = new InferenceNetwork(device.Backend, model, 1);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = MaxUpload;
            k.Limits.MaxConcurrentConnections = 64;
            k.Listen(address, verb.Port);
        });
        var app = builder.Build();
        string page = verb.Collect is null ? ServePage.Html
            : ServePage.Html.Replace("</body>", ServeCollect.Page(ClassNames.Of(model)) + "</body>", StringComparison.Ordinal);
        app.MapGet("/", () => Results.Content(page, "text/html; charset=utf-8"));
        app.MapPost("/predict", (HttpRequest request) => Predict(request, network));
        if (verb.Collect is { } collect) ServeCollect.Map(app, collect, ClassNames.Of(model), MaxUpload);
        app.Lifetime.ApplicationStopped.Register(() => { network.Dispose(); device.Dispose(); });
        try
        {
            app.StartAsync().GetAwaiter().GetResult();
        }
        catch (IOException e)
        {
            throw new UsageException($"cannot listen on {verb.Host}:{verb.Port}: {e.Message}");
        }
        string url = app.Urls.First();
        stdout.WriteLine($"digits serve: {url}/ — model {verb.Model} ({model.Spec.Outputs} classes); Ctrl+C to stop");
        stdout.Flush();
        Url = url;
        return app;
    }

    /// <summary>The address the server listens on, once started (e.g. http://127.0.0.1:5080).</summary>
    public string? Url { get; private set; }

    private async Task<IResult> Predict(HttpRequest request, InferenceNetwork network)
    {
        if (!await _slots.WaitAsync(TimeSpan.FromSeconds(5), request.HttpContext.RequestAborted))
            return Results.Json(new { error = "busy: too many images at once; try again" }, statusCode: 503);
        try
        {
            byte[] bytes;
            try
            {
                using var buffer = new MemoryStream();
                await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
                bytes = buffer.ToArray();
            }
            catch (Microsoft.AspNetCore.Http.BadHttpRequestException)
            {
                return Results.Json(new { error = $"the image is larger than {MaxUpload / (1024 * 1024)} MB" }, statusCode: 413);
            }
            if (bytes.Length == 0) return Results.Json(new { error = "no image was sent" }, statusCode: 400);
            string name = request.Headers["X-File-Name"].FirstOrDefault() is { Length: > 0 and < 200 } n ? n : "upload";
            PreparedDigit prepared;
            try
            {
                prepared = MnistPreprocessor.Prepare(ImageDecoder.Decode(bytes, name));
            }
            catch (DataFormatException e)
            {
                return Results.Json(new { error = e.Message }, statusCode: 400);
            }
            var field = prepared.Field.Select(v => Math.Round(v, 3));
            if (prepared.Problem is { } problem) return Results.Json(new { problem, field });
            float[] probabilities;
            lock (_model)
                probabilities = network.Probabilities(prepared.Field)[0];
            int best = Array.IndexOf(probabilities, probabilities.Max());
            return Results.Json(new { predicted = best, probabilities = probabilities.Select(p => Math.Round(p, 5)), field });
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            stderr.WriteLine($"digits serve: {e.GetType().Name}: {e.Message}");
            return Results.Json(new { error = "the server failed on this image" }, statusCode: 500);
        }
        finally
        {
            _slots.Release();
        }
    }
}
