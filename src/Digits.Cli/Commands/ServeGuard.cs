using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Digits.Cli.Commands;

/// <summary>
/// What every request to <c>digits serve</c> passes before an endpoint sees it, so that a page on another site
/// cannot make a visitor's browser use the local server:
/// <list type="bullet">
/// <item>every response says <c>X-Content-Type-Options: nosniff</c> (a JSON answer is never read as a page or a
/// script);</item>
/// <item>the <c>Host</c> header must name this server (<see cref="ServeAddresses"/>) on the port the request came
/// in on, else 421: a site whose name is rebound to 127.0.0.1 sends its own name;</item>
/// <item>a request other than GET, HEAD or OPTIONS must come from the server's own page: an <c>Origin</c> header,
/// which browsers send with every cross-origin request and every POST, must be <c>http://</c> and the request's
/// own host, else 403 — a form or a <c>text/plain</c> "simple" request from elsewhere is refused before it is read.
/// Clients that are not browsers (curl, scripts) send no Origin and are served.</item>
/// </list>
/// </summary>
internal static class ServeGuard
{
    public static void Use(WebApplication app, ServeAddresses addresses) => app.Use(async (context, next) =>
    {
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        if (Refusal(context.Request, addresses) is { } refusal)
        {
            context.Response.Headers.Connection = "close";
            await refusal.ExecuteAsync(context);
            return;
        }
        await next(context);
    });

    /// <summary>Why <paramref name="request"/> is refused, as the answer to send; null when it may go on.</summary>
    public static IResult? Refusal(HttpRequest request, ServeAddresses addresses)
    {
        var host = request.Host;
        int port = request.HttpContext.Connection.LocalPort;
        bool portFits = host.Port == port || host.Port is null && port == 80;
        if (!host.HasValue || !addresses.Names(host.Host) || !portFits)
            return ServeJson.Error(421, $"Host '{ServeJson.Printable(host.Value ?? "")}' does not name this server; open " +
                                        $"{addresses.PageUrl(port)} (or http://localhost:{port}/)");
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
            return null;
        string? origin = request.Headers.Origin;
        if (origin is not null && !string.Equals(origin, $"http://{host.Value}", StringComparison.OrdinalIgnoreCase))
            return ServeJson.Error(403, $"a page from '{ServeJson.Printable(origin)}' may not use this server " +
                                        "(only its own page may)");
        return null;
    }
}
