using System.Globalization;
using System.Text;

namespace Vouch.Server;

/// <summary>
/// Makes a value that came from outside (a client's response, an origin, a reason quoting one) safe to put in a log
/// line: control characters (CR, LF, ESC, the other C0 and C1 controls), Unicode line and paragraph separators and
/// invisible format characters (bidirectional overrides) are written as escapes (<c>\r</c>, <c>\n</c>, <c>\x1b</c>,
/// <c>\u2028</c>), and a backslash as <c>\\</c>, so that a value can neither start a forged line nor colour or move
/// the cursor of the terminal that shows the log. At most <see cref="MaxLength"/> characters of a value are kept.
/// </summary>
public static class LogText
{
    /// <summary>The longest value kept, in characters (200); the rest becomes "...".</summary>
    public const int MaxLength = 200;

    public static string Escape(string? text) => Escape(text, MaxLength, escapeBackslash: true);

    /// <summary>
    /// The same escapes with no length limit and backslashes kept as they are: the console log's guard over whole
    /// messages and exceptions, which may hold values <see cref="Escape(string?)"/> escaped already.
    /// </summary>
    public static string EscapeAll(string? text) => Escape(text, int.MaxValue, escapeBackslash: false);

    private static string Escape(string? text, int maxLength, bool escapeBackslash)
    {
        if (text is null) return "(null)";
        var truncated = text.Length > maxLength;
        var value = truncated ? text.AsSpan(0, maxLength) : text.AsSpan();
        if (!truncated && !NeedsEscape(value, escapeBackslash)) return text;
        var escaped = new StringBuilder(value.Length + 16);
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': escaped.Append(escapeBackslash ? @"\\" : @"\"); break;
                case '\r': escaped.Append(@"\r"); break;
                case '\n': escaped.Append(@"\n"); break;
                case '\t': escaped.Append(@"\t"); break;
                default:
                    if (IsUnsafe(c)) escaped.Append(c <= 0xff ? $@"\x{(int)c:x2}" : $@"\u{(int)c:x4}");
                    else escaped.Append(c);
                    break;
            }
        }
        if (truncated) escaped.Append("...");
        return escaped.ToString();
    }

    private static bool NeedsEscape(ReadOnlySpan<char> value, bool escapeBackslash)
    {
        foreach (var c in value)
        {
            if ((escapeBackslash && c == '\\') || IsUnsafe(c)) return true;
        }
        return false;
    }

    private static bool IsUnsafe(char c) =>
        char.IsControl(c) || c is '\u2028' or '\u2029' || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format;
}
