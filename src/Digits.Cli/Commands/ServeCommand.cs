using System.Net;
using Digits.Cli.Verbs;
using Digits.Core.Model;
using Digits.Imaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Digits.Cli.Commands;

/// <summary>
/// <c>digits serve</c>: a local web page (ASP.NET Core, Kestrel, HTTP/1.1) to draw a digit or drop a photo on.
/// <c>GET /</c> is the page (<see cref="ServePage"/>); <c>POST /predict</c> classifies an image
/// (<see cref="PredictEndpoint"/>). Every request first passes <see cref="ServeGuard"/> (nosniff, Host, Origin). The
/// model is loaded once; one network of batch 1 on the cpu serves every request in turn. Kestrel runs with
/// <see cref="ServeLimits"/>. Ctrl+C or SIGTERM stops it: requests in progress get up to 5 s, and the exit code is
/// 130, as for every interrupted verb.
/// </summary>
internal sealed class ServeCommand(ServeVerb verb, TextWriter stdout, TextWriter stderr)
{
    public int Run()
    {
        using var interrupt = new InterruptSignal();
        ServeMemory.ReturnLargeBlocks();
        var app = Start();
        interrupt.Token.WaitHandle.WaitOne();
        app.StopAsync().GetAwaiter().GetResult();
        app.DisposeAsync().AsTask().GetAwaiter().GetResult();
        stderr.WriteLine("digits: interrupted; the server stopped");
        return ExitCodes.Interrupted;
    }

    /// <summary>Loads the model, starts listening and prints the page's URL; the caller stops the app.</summary>
    public WebApplication Start()
    {
        var model = SavedModel.Load(verb.Model);
        SavedModel.RequireImageInput(model, verb.Model, MnistFraming.Side);
        if (!IPAddress.TryParse(verb.Host, out var address))
            throw new UsageException($"--host {verb.Host}: not an IP address (e.g. 127.0.0.1, or 0.0.0.0 for every interface)");
        if (verb.Port is < 0 or > 65535) throw new UsageException($"--port {verb.Port}: must be 0..65535");
        var addresses = new ServeAddresses(address);
        var device = DeviceSelector.Open("cpu", verb.Threads ?? 1);
        var network = new InferenceNetwork(device.Backend, model, 1);

        var app = Build(address, verb.Port);
        ServeGuard.Use(app, addresses);
        MapEndpoints(app, network, ClassNames.Of(model));
        app.Lifetime.ApplicationStopped.Register(() => { network.Dispose(); device.Dispose(); });
        try
        {
            app.StartAsync().GetAwaiter().GetResult();
        }
        catch (IOException e)
        {
            network.Dispose();
            device.Dispose();
            throw new UsageException($"cannot listen on {verb.Host}:{verb.Port}: {e.Message}");
        }
        int port = new Uri(app.Urls.First()).Port;
        var urls = addresses.Urls(port);
        Url = urls[0].TrimEnd('/');
        stdout.WriteLine($"digits serve: {urls[0]} — model {verb.Model} ({model.Spec.Outputs} classes); Ctrl+C to stop");
        foreach (string other in urls.Skip(1)) stdout.WriteLine($"digits serve: also {other}");
        stdout.Flush();
        if (addresses.Exposed)
            stderr.WriteLine($"digits: warning: --host {verb.Host} listens on the network: anyone who can reach this " +
                             "machine can use the model (no password, no encryption); use 127.0.0.1 to keep it to this machine");
        return app;
    }

    /// <summary>The page's address once started, e.g. http://127.0.0.1:5080 (loopback when listening on every
    /// interface).</summary>
    public string? Url { get; private set; }

    /// <summary>The endpoints, each in its own file. Those that take an upload share one body budget and the decoding
    /// slots, so <see cref="ServeLimits"/>' memory bound holds for all of them together.</summary>
    private void MapEndpoints(WebApplication app, InferenceNetwork network, IReadOnlyList<string> classNames)
    {
        var uploads = new ServeUpload.Budget();
        var decodeSlots = new SemaphoreSlim(ServeLimits.DecodeSlots);
        string page = verb.Collect is null ? ServePage.Html
            : ServePage.Html.Replace("</body>", ServeCollect.Page(classNames) + "</body>", StringComparison.Ordinal);
        app.MapGet("/", () => Results.Content(page, "text/html; charset=utf-8"));
        new PredictEndpoint(network, uploads, decodeSlots, stderr).Map(app);
        if (verb.Collect is { } collect) ServeCollect.Map(app, collect, classNames, uploads, decodeSlots);
    }

    private static WebApplication Build(IPAddress address, int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxConcurrentConnections = ServeLimits.MaxConnections;
            k.Limits.KeepAliveTimeout = ServeLimits.IdleTimeout;
            k.Limits.RequestHeadersTimeout = ServeLimits.HeadersTimeout;
            k.Limits.MinRequestBodyDataRate = new MinDataRate(ServeLimits.MinBodyRate, ServeLimits.RateGrace);
            // Kestrel counts a chunked body's framing too; ServeUpload holds the data to MaxUpload exactly
            k.Limits.MaxRequestBodySize = 2 * ServeLimits.MaxUpload;
            k.Listen(address, port, listen => listen.Protocols = HttpProtocols.Http1);
        });
        return builder.Build();
    }
}
