using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Digits.Cli.Commands;

/// <summary>
/// What <c>digits serve</c> answers to for the address it listens on: the host names a request's <c>Host</c> header
/// may carry (a page elsewhere whose name is made to resolve to this machine — DNS rebinding — carries its own name,
/// and is refused), and the URLs to print. On a loopback address that is <c>localhost</c> and the address itself; on
/// 0.0.0.0 or :: every address of this machine's interfaces and its host name as well; on another address, that
/// address and the host name.
/// </summary>
internal sealed class ServeAddresses
{
    private readonly HashSet<string> _names = new(StringComparer.OrdinalIgnoreCase);

    public ServeAddresses(IPAddress listening)
    {
        Listening = listening;
        _names.Add("localhost");
        if (!IPAddress.IsLoopback(listening))
        {
            string host = Dns.GetHostName();
            _names.Add(host);
            _names.Add($"{host}.local");
        }
        if (!ListensEverywhere) _names.Add(Literal(listening));
        else
            foreach (var address in MachineAddresses(listening.AddressFamily == AddressFamily.InterNetworkV6))
                _names.Add(Literal(address));
    }

    public IPAddress Listening { get; }

    /// <summary>Whether the server is reachable from other machines (not bound to a loopback address).</summary>
    public bool Exposed => !IPAddress.IsLoopback(Listening);

    /// <summary>Whether <paramref name="host"/> (a Host header's name, IPv6 in brackets, without the port) names
    /// this server.</summary>
    public bool Names(string host) => _names.Contains(host);

    /// <summary>The names accepted, for messages.</summary>
    public IEnumerable<string> Accepted => _names.Order(StringComparer.OrdinalIgnoreCase);

    /// <summary>URLs a browser can open for a server on <paramref name="port"/>: loopback first (so a browser on this
    /// machine works), then the machine's other addresses when listening on all of them (0.0.0.0 never is one).
    /// </summary>
    public IReadOnlyList<string> Urls(int port)
    {
        if (!ListensEverywhere) return [PageUrl(port)];
        var others = MachineAddresses(Listening.AddressFamily == AddressFamily.InterNetworkV6)
            .Where(a => !IPAddress.IsLoopback(a)).Select(a => $"http://{Literal(a)}:{port}/");
        return [PageUrl(port), .. others];
    }

    /// <summary>The first of <see cref="Urls"/>: the listening address, or 127.0.0.1 when that is every interface.</summary>
    public string PageUrl(int port) => $"http://{(ListensEverywhere ? "127.0.0.1" : Literal(Listening))}:{port}/";

    private bool ListensEverywhere => Listening.Equals(IPAddress.Any) || Listening.Equals(IPAddress.IPv6Any);

    /// <summary>An address as it appears in a URL or Host header: IPv6 in brackets.</summary>
    public static string Literal(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();

    /// <summary>The unicast addresses of this machine's interfaces (IPv4; IPv6 too when <paramref name="ipv6"/>),
    /// link-local IPv6 left out (it needs a zone a URL cannot carry portably).</summary>
    private static IEnumerable<IPAddress> MachineAddresses(bool ipv6)
    {
        IEnumerable<IPAddress> found;
        try
        {
            found = NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(u => u.Address).ToList();
        }
        catch (NetworkInformationException)
        {
            found = [];
        }
        return found.Append(IPAddress.Loopback)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork ||
                        ipv6 && a.AddressFamily == AddressFamily.InterNetworkV6 && !a.IsIPv6LinkLocal)
            .Distinct();
    }
}
