using System.Text;

namespace Vouch.Cli.Aws;

/// <summary>
/// Splits a command line into words the way botocore runs <c>credential_process</c> (Python's <c>shlex.split</c>,
/// POSIX rules): blanks separate words, single quotes keep everything, double quotes keep all but <c>\"</c> and
/// <c>\\</c>, a backslash outside quotes keeps the next character. Null when a quote is not closed.
/// </summary>
public static class ShellWords
{
    public static string[]? Split(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            switch (c)
            {
                case '\'':
                    var close = line.IndexOf('\'', i + 1);
                    if (close < 0) return null;
                    word.Append(line, i + 1, close - i - 1);
                    (i, inWord) = (close, true);
                    break;
                case '"':
                    for (i++; ; i++)
                    {
                        if (i >= line.Length) return null;
                        if (line[i] == '"') break;
                        if (line[i] == '\\' && i + 1 < line.Length && line[i + 1] is '"' or '\\' or '$' or '`') i++;
                        word.Append(line[i]);
                    }
                    inWord = true;
                    break;
                case '\\' when i + 1 < line.Length:
                    word.Append(line[++i]);
                    inWord = true;
                    break;
                case ' ' or '\t' or '\n' or '\r':
                    if (inWord) words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                    break;
                default:
                    word.Append(c);
                    inWord = true;
                    break;
            }
        }
        if (inWord) words.Add(word.ToString());
        return [.. words];
    }

    /// <summary>Quotes <paramref name="word"/> for a shell-split line when it needs it.</summary>
    public static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsLetterOrDigit(c) || "@%+=:,./-_".Contains(c, StringComparison.Ordinal))
            ? word
            : "'" + word.Replace("'", "'\"'\"'", StringComparison.Ordinal) + "'";
}
