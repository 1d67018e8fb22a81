using System.Text;

namespace Digits.Tests.Support;

/// <summary>
/// The string literals of a C# source file with their line numbers: regular, verbatim (<c>@"…"</c>), interpolated
/// (<c>$"…"</c>, <c>$@"…"</c>; the text between the holes, holes shown as <c>{…}</c>, and the literals inside the holes
/// found too) and raw (<c>"""…"""</c>, taken whole). Comments, XML docs and character literals are skipped. A small
/// lexer rather than Roslyn: enough for the sources' own strings, and no compiler carried into the test build.
/// </summary>
internal static class StringLiterals
{
    public static List<(int Line, string Text)> In(string source)
    {
        var found = new List<(int Line, string Text)>();
        int i = 0;
        Code(source, ref i, found, inHole: false);
        return found;
    }

    /// <summary>Lexes code from <paramref name="i"/> to the end, or in an interpolation hole to its closing brace.</summary>
    private static void Code(string s, ref int i, List<(int, string)> found, bool inHole)
    {
        int depth = 0;
        while (i < s.Length)
        {
            char c = s[i];
            if (c == '/' && At(s, i + 1) == '/') i = EndOfLine(s, i);
            else if (c == '/' && At(s, i + 1) == '*')
                i = s.IndexOf("*/", i + 2, StringComparison.Ordinal) is var e and >= 0 ? e + 2 : s.Length;
            else if (c == '\'') i = AfterCharLiteral(s, i);
            else if (c is '"' or '$' or '@' && StringStart(s, i) is { } start)
            {
                i = start.Quote;
                Literal(s, ref i, start.Interpolated, start.Verbatim, found);
            }
            else
            {
                if (c == '{') depth++;
                if (c == '}' && depth-- == 0 && inHole) return;
                i++;
            }
        }
    }

    /// <summary>Where the quote of a string starting at <paramref name="i"/> (after any $ and @) is, or null.</summary>
    private static (int Quote, bool Interpolated, bool Verbatim)? StringStart(string s, int i)
    {
        int j = i;
        bool interpolated = false, verbatim = false;
        while (j < s.Length && s[j] is '$' or '@')
        {
            interpolated |= s[j] == '$';
            verbatim |= s[j] == '@';
            j++;
        }
        return At(s, j) == '"' ? (j, interpolated, verbatim) : null;
    }

    private static void Literal(string s, ref int i, bool interpolated, bool verbatim, List<(int, string)> found)
    {
        int line = s.AsSpan(0, i).Count('\n') + 1;
        if (s.AsSpan(i).StartsWith("\"\"\""))
        {
            int quotes = 0;
            while (At(s, i + quotes) == '"') quotes++;
            int end = s.IndexOf(new string('"', quotes), i + quotes, StringComparison.Ordinal);
            end = end < 0 ? s.Length : end;
            found.Add((line, s[(i + quotes)..end]));
            i = Math.Min(s.Length, end + quotes);
            return;
        }
        var text = new StringBuilder();
        i++;
        while (i < s.Length)
        {
            char c = s[i];
            if (verbatim && c == '"' && At(s, i + 1) == '"') { text.Append('"'); i += 2; }
            else if (c == '"') { i++; break; }
            else if (!verbatim && c == '\\') { text.Append(s, i, Math.Min(2, s.Length - i)); i += 2; }
            else if (interpolated && c is '{' or '}' && At(s, i + 1) == c) { text.Append(c); i += 2; }
            else if (interpolated && c == '{')
            {
                i++;
                Code(s, ref i, found, inHole: true);
                i++;
                text.Append("{…}");
            }
            else { text.Append(c); i++; }
        }
        found.Add((line, text.ToString()));
    }

    private static int AfterCharLiteral(string s, int i)
    {
        int j = i + (At(s, i + 1) == '\\' ? 3 : 2);
        while (j < s.Length && s[j] != '\'') j++;
        return j + 1;
    }

    private static int EndOfLine(string s, int i) => s.IndexOf('\n', i) is var e and >= 0 ? e : s.Length;

    private static char At(string s, int i) => i < s.Length ? s[i] : '\0';
}
