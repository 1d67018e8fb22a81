using System.Globalization;
using System.Text;

namespace Digits.Cli;

/// <summary>
/// Text that came from input — a file name, a CSV header cell, a model's class names or metadata — made safe to
/// print: control characters become visible escapes instead of reaching the terminal, where ESC starts a control
/// sequence (colors, cursor moves, a changed window title) and NUL or a carriage return can hide what came before.
/// Every line the CLI prints that echoes input passes through <see cref="Escape"/>: the error lines, the lines of
/// predict, evaluate and train. JSON output needs nothing more: its serializer escapes control characters.
/// </summary>
internal static class TerminalText
{
    /// <summary><paramref name="text"/> with every C0 control (NUL … US, newline and tab included), DEL and C1 control
    /// written as <c>\xHH</c>, and the bidirectional overrides and isolates (which reorder what follows them) as
    /// <c>\uHHHH</c>; everything else unchanged.</summary>
    public static string Escape(string text)
    {
        int first = text.AsSpan().IndexOfAny(Unsafe);
        if (first < 0) return text;
        var escaped = new StringBuilder(text.Length + 8).Append(text, 0, first);
        foreach (char c in text.AsSpan(first))
        {
            if (!Unsafe.Contains(c)) escaped.Append(c);
            else if (c <= 0xFF) escaped.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}");
            else escaped.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
        }
        return escaped.ToString();
    }

    private static readonly System.Buffers.SearchValues<char> Unsafe = System.Buffers.SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(c => (char)c), (char)0x7F, .. Enumerable.Range(0x80, 0x20).Select(c => (char)c),
         '\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069']);
}
