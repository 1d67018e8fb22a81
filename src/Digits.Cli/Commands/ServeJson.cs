using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Digits.Cli.Commands;

/// <summary>The JSON every <c>digits serve</c> endpoint answers with: <c>{"error": "…"}</c> for a refusal, the
/// endpoint's object otherwise. Written with System.Text.Json's default encoder, which escapes <c>&lt; &gt; &amp; ' "</c>,
/// control characters and everything outside ASCII, so no text that came in with a request (a file name) can read as
/// markup or reach a terminal raw.</summary>
internal static class ServeJson
{
    private static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.Default };

    /// <summary>200 with <paramref name="value"/> as JSON.</summary>
    public static IResult Ok(object value) => Results.Json(value, Options);

    /// <summary><paramref name="status"/> with <c>{"error": message}</c>.</summary>
    public static IResult Error(int status, string message) => Results.Json(new { error = message }, Options, statusCode: status);

    /// <summary>A file name a client sent (percent-encoded by the page, as an HTTP header carries only Latin-1), made
    /// safe to show: decoded, cut to its last path part, <see cref="Printable"/>; "upload" when nothing is left.</summary>
    public static string CleanFileName(string? sent)
    {
        string name = Uri.UnescapeDataString(sent ?? "");
        name = Printable(name[(name.LastIndexOfAny(['/', '\\']) + 1)..]).Trim();
        return name.Length == 0 ? "upload" : name;
    }

    /// <summary><paramref name="text"/> from a request, made safe to show: control and formatting characters (ESC,
    /// NUL, bidi overrides) removed, cut to <paramref name="max"/> characters (then "…").</summary>
    public static string Printable(string text, int max = 100)
    {
        var kept = new StringBuilder(Math.Min(text.Length, max + 1));
        foreach (char c in text)
        {
            if (kept.Length == max)
            {
                if (char.IsHighSurrogate(kept[^1])) kept.Length--;
                kept.Append('…');
                break;
            }
            if (CharUnicodeInfo.GetUnicodeCategory(c) is not (UnicodeCategory.Control or UnicodeCategory.Format
                or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator))
                kept.Append(c);
        }
        return kept.ToString();
    }
}
