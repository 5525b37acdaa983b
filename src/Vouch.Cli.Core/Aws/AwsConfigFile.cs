using System.Text.RegularExpressions;

namespace Vouch.Cli.Aws;

/// <summary>What one line of an AWS config file is, as the AWS CLI's parser (Python's configparser) reads it.</summary>
public enum AwsConfigLineKind
{
    Blank,
    Comment,
    Header,
    Setting,

    /// <summary>An indented line that continues the setting above it (a nested block such as <c>s3 =</c>).</summary>
    Continuation,
}

/// <summary>One line of an AWS config file: its text without the line ending, its kind, and the key a setting line sets (lower case).</summary>
public sealed record AwsConfigLine(string Text, AwsConfigLineKind Kind, string? Key = null);

/// <summary>
/// A section of an AWS config file: its header as written between the brackets, the profile it is (<c>default</c>
/// for <c>[default]</c>, NAME for <c>[profile NAME]</c>, else null), its lines (<see cref="Start"/> is the header's
/// index, <see cref="End"/> the index after its last line) and its settings, keys in lower case.
/// </summary>
public sealed record AwsConfigSection(string Header, string? Profile, int Start, int End, IReadOnlyDictionary<string, AwsConfigSetting> Settings);

/// <summary>A setting's value (continuation lines joined with newlines) and its 1-based line number.</summary>
public sealed record AwsConfigSetting(string Value, int LineNumber);

/// <summary>
/// An AWS config file (<c>~/.aws/config</c>) read the way the AWS CLI reads it (botocore on Python's
/// <c>configparser</c>): <c>#</c> and <c>;</c> comment whole lines only, a header is <c>[</c> to the last <c>]</c>
/// on its line (so <c>[profile x]  # note</c> is the header <c>profile x</c>), settings are <c>key = value</c> or
/// <c>key: value</c> with keys in any case, indented lines continue the setting above, and a profile's name is the
/// second shell word of <c>profile NAME</c>. A file the AWS CLI would reject is a <see cref="CliException"/> that names
/// the file and the first line it would reject.
/// </summary>
public sealed partial class AwsConfigFile
{
    private AwsConfigFile(string path, IReadOnlyList<AwsConfigLine> lines, IReadOnlyList<AwsConfigSection> sections) =>
        (Path, Lines, Sections) = (path, lines, sections);

    public string Path { get; }
    public IReadOnlyList<AwsConfigLine> Lines { get; }
    public IReadOnlyList<AwsConfigSection> Sections { get; }

    /// <summary>The file the AWS CLI reads: <c>AWS_CONFIG_FILE</c>, else <c>~/.aws/config</c>.</summary>
    public static string DefaultPath(Func<string, string?> environment) =>
        environment("AWS_CONFIG_FILE") is { Length: > 0 } configured
            ? configured
            : System.IO.Path.Combine(environment("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".aws", "config");

    /// <summary>Reads and parses <paramref name="path"/>; null when there is no such file (the AWS CLI then has no profiles either).</summary>
    public static AwsConfigFile? Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A link loop is said as the writer says it, not as the system's "Too many levels of symbolic links".
            if (new FileInfo(path).LinkTarget is not null)
            {
                try
                {
                    new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true);
                }
                catch (IOException loop)
                {
                    throw UnfollowableLink(path, loop);
                }
            }
            throw new CliException(FailureKind.BadConfiguration, $"cannot read {path}: {e.Message}");
        }
        return Parse(text, path);
    }

    /// <summary>The refusal of a config file that is a symbolic link that cannot be followed (a loop).</summary>
    internal static CliException UnfollowableLink(string path, IOException e) =>
        new(FailureKind.BadConfiguration, $"{path} is a symbolic link that cannot be followed ({e.Message}): fix the link, then run this again");

    /// <summary>Parses <paramref name="text"/> (LF or CRLF); <paramref name="path"/> only names the file in errors.</summary>
    public static AwsConfigFile Parse(string text, string path)
    {
        var raw = text.Split('\n');
        // A final line ending does not start another line.
        var count = text.EndsWith('\n') ? raw.Length - 1 : raw.Length;
        var lines = new List<AwsConfigLine>(count);
        var sections = new List<AwsConfigSection>();
        var headers = new HashSet<string>(StringComparer.Ordinal);
        string? header = null;
        int sectionStart = 0;
        Dictionary<string, (List<string> Values, int LineNumber, List<int> Continuations)> settings = [];
        string? key = null;
        var indent = 0;

        void Close(int end)
        {
            if (header is null) return;
            var values = new Dictionary<string, AwsConfigSetting>(StringComparer.Ordinal);
            foreach (var (name, setting) in settings)
            {
                // botocore parses a value that starts on the next line as nested "key = value" lines.
                if (setting.Values.Count > 1 && setting.Values[0].Length == 0)
                {
                    for (var i = 1; i < setting.Values.Count; i++)
                    {
                        if (setting.Values[i].Length > 0 && !setting.Values[i].Contains('=', StringComparison.Ordinal))
                            throw Rejected(path, setting.Continuations[i - 1], $"'{setting.Values[i]}' in the nested block of '{name}' has no '='");
                    }
                }
                values[name] = new AwsConfigSetting(string.Join('\n', setting.Values).TrimEnd(), setting.LineNumber);
            }
            sections.Add(new AwsConfigSection(header, ProfileName(header), sectionStart, end, values));
        }

        for (var index = 0; index < count; index++)
        {
            var line = raw[index].TrimEnd('\r');
            var number = index + 1;
            var value = line.Trim();
            if (value.Length == 0 || value[0] is '#' or ';')
            {
                // configparser keeps a blank line inside a value that goes on below it (trailing ones are trimmed).
                if (value.Length == 0 && header is not null && key is not null)
                {
                    settings[key].Values.Add("");
                    settings[key].Continuations.Add(number);
                }
                lines.Add(new AwsConfigLine(line, value.Length == 0 ? AwsConfigLineKind.Blank : AwsConfigLineKind.Comment));
                continue;
            }
            var level = line.Length - line.TrimStart().Length;
            if (header is not null && key is not null && level > indent)
            {
                settings[key].Values.Add(value);
                settings[key].Continuations.Add(number);
                lines.Add(new AwsConfigLine(line, AwsConfigLineKind.Continuation, key));
                continue;
            }
            indent = level;
            if (HeaderShape().Match(value) is { Success: true } match)
            {
                var name = match.Groups["name"].Value;
                if (!headers.Add(name)) throw Rejected(path, number, $"the section [{name}] appears a second time");
                Close(index);
                (header, sectionStart, settings, key) = (name, index, [], null);
                lines.Add(new AwsConfigLine(line, AwsConfigLineKind.Header));
                continue;
            }
            if (header is null) throw Rejected(path, number, $"'{value}' comes before any [section]");
            if (SettingShape().Match(value) is not { Success: true } setting || setting.Groups["key"].Value.TrimEnd().Length == 0)
                throw Rejected(path, number, $"'{value}' is not a [section], a key = value setting or a comment");
            key = setting.Groups["key"].Value.TrimEnd().ToLowerInvariant();
            if (settings.ContainsKey(key)) throw Rejected(path, number, $"'{key}' is set twice in [{header}]");
            settings[key] = ([setting.Groups["value"].Value.Trim()], number, []);
            lines.Add(new AwsConfigLine(line, AwsConfigLineKind.Setting, key));
        }
        Close(count);
        return new AwsConfigFile(path, lines, sections);
    }

    /// <summary>The section botocore uses for profile <paramref name="name"/> (the last one, when several name it).</summary>
    public AwsConfigSection? Profile(string name) => Sections.LastOrDefault(s => s.Profile == name);

    /// <summary>The profiles in file order, each once (as <see cref="Profile"/> finds it).</summary>
    public IEnumerable<AwsConfigSection> Profiles() =>
        Sections.Where(s => s.Profile is not null).Select(s => Profile(s.Profile!)!).Distinct();

    /// <summary>The profile a header names, as botocore reads it: <c>default</c>, or the second shell word of <c>profile NAME</c>.</summary>
    private static string? ProfileName(string header)
    {
        if (header == "default") return header;
        if (!header.StartsWith("profile", StringComparison.Ordinal)) return null;
        return ShellWords.Split(header) is [_, var name] ? name : null;
    }

    private static CliException Rejected(string path, int line, string problem) =>
        new(FailureKind.BadConfiguration, $"{path} line {line}: {problem}; the AWS CLI cannot read this file either: fix that line");

    [GeneratedRegex(@"^\[(?<name>.+)\]", RegexOptions.CultureInvariant)]
    private static partial Regex HeaderShape();

    [GeneratedRegex(@"^(?<key>.*?)\s*[=:]\s*(?<value>.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex SettingShape();
}
