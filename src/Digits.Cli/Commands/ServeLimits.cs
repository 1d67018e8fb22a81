using Digits.Imaging;

namespace Digits.Cli.Commands;

/// <summary>
/// The bounds of <c>digits serve</c>, one place for the server's configuration, its <c>--help</c> and the README.
/// Idle connections are closed after <see cref="IdleTimeout"/> and up to <see cref="MaxConnections"/> may be open, so
/// a few hundred silent sockets cannot lock anyone out; a body is read whole (at <see cref="MinBodyRate"/> or faster,
/// within <see cref="BodyTimeout"/>) before it waits for one of <see cref="DecodeSlots"/> decoding slots, so a slow
/// upload holds no slot; bodies held at once are bounded by <see cref="BodyBudget"/>; and an image is shrunk to
/// <see cref="DecodeSide"/> while it is decoded, so its full-size pixels exist only as native RGBA (4 bytes each, at
/// most <see cref="ImageLimits.MaxPixels"/>) until the decode returns.
/// </summary>
internal static class ServeLimits
{
    /// <summary>TCP connections open at once; one more is closed as soon as it is accepted.</summary>
    public const int MaxConnections = 1000;

    /// <summary>A connection with no request in progress (a new one, or kept alive after a response) is closed after
    /// this long (Kestrel's KeepAliveTimeout; its default is 130 s).</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The request line and headers must arrive within this (Kestrel's RequestHeadersTimeout).</summary>
    public static readonly TimeSpan HeadersTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Slowest body accepted, in bytes/s, after <see cref="RateGrace"/> (Kestrel's MinRequestBodyDataRate).
    /// </summary>
    public const int MinBodyRate = 1024;

    /// <summary>How long a body may start slower than <see cref="MinBodyRate"/>.</summary>
    public static readonly TimeSpan RateGrace = TimeSpan.FromSeconds(5);

    /// <summary>A whole body must arrive within this, however fast it trickles.</summary>
    public static readonly TimeSpan BodyTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The largest upload accepted, 16 MB (a phone photo is 2–8 MB).</summary>
    public const long MaxUpload = 16L * 1024 * 1024;

    /// <summary>Bytes of request bodies held at once, received or being received (eight 16 MB uploads); a body that
    /// would go past it is answered 503.</summary>
    public const long BodyBudget = 128L * 1024 * 1024;

    /// <summary>Images decoded and classified at the same time; a request with its body read waits for a slot up to
    /// <see cref="SlotWait"/>, then gets 503.</summary>
    public const int DecodeSlots = 2;

    /// <summary>How long a received image waits for a decoding slot.</summary>
    public static readonly TimeSpan SlotWait = TimeSpan.FromSeconds(5);

    /// <summary>Images are shrunk to at most this many pixels a side while they are decoded: what the preprocessor
    /// works at anyway (<see cref="PhotoCleanup.WorkingSide"/>).</summary>
    public const int DecodeSide = PhotoCleanup.WorkingSide;

    /// <summary>Native memory one decode may hold: 4 bytes (RGBA) per pixel of the largest image accepted.</summary>
    public const long DecodeBytes = 4 * ImageLimits.MaxPixels;

    /// <summary>The limits in a paragraph, for <c>digits serve --help</c>.</summary>
    public static string Text =>
        $"Limits: at most {MaxConnections} connections, each closed after {IdleTimeout.TotalSeconds:0} s without a " +
        $"request; request headers within {HeadersTimeout.TotalSeconds:0} s; an upload of at most {MaxUpload >> 20} MB, " +
        $"sent at {MinBodyRate / 1024} KB/s or faster (after {RateGrace.TotalSeconds:0} s) and whole within " +
        $"{BodyTimeout.TotalSeconds:0} s, is read before it waits (up to {SlotWait.TotalSeconds:0} s, then 503) for one " +
        $"of {DecodeSlots} decoding slots; uploads held at once at most {BodyBudget >> 20} MB (then 503). Images of up to " +
        $"{ImageLimits.MaxPixels / 1_000_000.0:0.#} megapixels ({ImageLimits.MaxSide} a side) are shrunk to " +
        $"{DecodeSide} pixels a side while decoded; each decode holds its RGBA pixels (at most {DecodeBytes >> 20} MB) " +
        $"until it returns, so memory stays under about {(BodyBudget + DecodeSlots * DecodeBytes) >> 20} MB above the " +
        "model's, and goes back when the requests are done.";
}
