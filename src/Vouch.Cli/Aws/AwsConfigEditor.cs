using System.Text;
using System.Text.RegularExpressions;

namespace Vouch.Cli.Aws;

/// <summary>
/// Writes one profile into an AWS config file and leaves every other byte as it was: other profiles, comments,
/// blank lines and line endings (LF or CRLF). A profile Vouch wrote carries a marker comment; a profile without it
/// is someone else's and is replaced only when forced. Keys Vouch does not set stay in its own profile too.
/// </summary>
public static partial class AwsConfigEditor
{
    public const string Marker = "# managed by vouch (vouch setup aws)";

    public static string Apply(string original, string profile, IReadOnlyList<KeyValuePair<string, string>> settings, bool force)
    {
        var newline = original.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var lines = SplitKeepingEndings(original);
        var header = profile == "default" ? "[default]" : $"[profile {profile}]";
        var start = lines.FindIndex(l => Header().Match(l.TrimEnd('\r', '\n')) is { Success: true } m && SectionName(m) == profile);

        if (start < 0)
        {
            var builder = new StringBuilder(original);
            if (original.Length > 0 && !original.EndsWith('\n')) builder.Append(newline);
            if (original.Trim().Length > 0) builder.Append(newline);
            builder.Append(header).Append(newline).Append(Marker).Append(newline);
            foreach (var (key, value) in settings) builder.Append(key).Append(" = ").Append(value).Append(newline);
            return builder.ToString();
        }

        var end = start + 1;
        while (end < lines.Count && !Header().IsMatch(lines[end].TrimEnd('\r', '\n'))) end++;
        var body = lines.GetRange(start + 1, end - start - 1);
        if (!body.Any(l => l.TrimEnd('\r', '\n').Trim() == Marker) && !force)
        {
            throw new CliException(ExitCodes.BadConfiguration,
                $"profile '{profile}' already exists and was not written by vouch: choose another --profile, or pass --force to replace it");
        }

        var remaining = settings.ToDictionary(s => s.Key, s => s.Value);
        var updated = new List<string>(body.Count + settings.Count);
        if (!body.Any(l => l.TrimEnd('\r', '\n').Trim() == Marker)) updated.Add(Marker + newline);
        foreach (var line in body)
        {
            var content = line.TrimEnd('\r', '\n');
            var match = KeyLine().Match(content);
            if (match.Success && remaining.Remove(match.Groups["key"].Value, out var value))
                updated.Add($"{match.Groups["key"].Value} = {value}{Ending(line)}");
            else
                updated.Add(line);
        }
        // New keys go after the last non-blank line of the section, so that blank lines before the next one stay.
        var insertAt = updated.FindLastIndex(l => l.Trim().Length > 0) + 1;
        if (insertAt > 0 && !updated[insertAt - 1].EndsWith('\n')) updated[insertAt - 1] += newline;
        updated.InsertRange(insertAt, settings.Where(s => remaining.ContainsKey(s.Key)).Select(s => $"{s.Key} = {s.Value}{newline}"));

        var result = new StringBuilder();
        foreach (var line in lines.Take(start + 1)) result.Append(line);
        if (!lines[start].EndsWith('\n')) result.Append(newline);
        foreach (var line in updated) result.Append(line);
        foreach (var line in lines.Skip(end)) result.Append(line);
        return result.ToString();
    }

    /// <summary>Reads <paramref name="path"/>, applies the profile, and replaces the file atomically (0600 when new; ~/.aws 0700).</summary>
    public static void Write(string path, string profile, IReadOnlyList<KeyValuePair<string, string>> settings, bool force)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var exists = File.Exists(path);
        var original = exists ? File.ReadAllText(path) : "";
        var updated = Apply(original, profile, settings, force);
        var mode = exists ? File.GetUnixFileMode(path) : UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.vouch-{Environment.ProcessId}");
        using (var stream = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = mode }))
        using (var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)))
        {
            writer.Write(updated);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The <c>key = value</c> settings of <paramref name="profile"/> in <paramref name="text"/>; null when there is no such profile.</summary>
    public static IReadOnlyDictionary<string, string>? Read(string text, string profile)
    {
        var lines = SplitKeepingEndings(text).Select(l => l.TrimEnd('\r', '\n')).ToList();
        var start = lines.FindIndex(l => Header().Match(l) is { Success: true } m && SectionName(m) == profile);
        if (start < 0) return null;
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(start + 1).TakeWhile(l => !Header().IsMatch(l)))
        {
            if (KeyLine().Match(line) is { Success: true } key) settings.TryAdd(key.Groups["key"].Value, line[(line.IndexOf('=') + 1)..].Trim());
        }
        return settings;
    }

    private static string SectionName(Match header)
    {
        var name = header.Groups["name"].Value.Trim();
        return name.StartsWith("profile ", StringComparison.Ordinal) ? name["profile ".Length..].Trim() : name;
    }

    private static string Ending(string line) =>
        line.EndsWith("\r\n", StringComparison.Ordinal) ? "\r\n" : line.EndsWith('\n') ? "\n" : "";

    private static List<string> SplitKeepingEndings(string text)
    {
        var lines = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\n') continue;
            lines.Add(text[start..(i + 1)]);
            start = i + 1;
        }
        if (start < text.Length) lines.Add(text[start..]);
        return lines;
    }

    [GeneratedRegex(@"^\s*\[(?<name>[^\]]+)\]\s*$")]
    private static partial Regex Header();

    [GeneratedRegex(@"^(?<key>[A-Za-z0-9_.-]+)\s*=")]
    private static partial Regex KeyLine();
}
