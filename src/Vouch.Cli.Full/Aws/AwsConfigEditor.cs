using System.Text;

namespace Vouch.Cli.Aws;

/// <summary>
/// Writes one profile into an AWS config file and leaves every other byte as it was: other profiles, comments,
/// blank lines and line endings (LF or CRLF). A profile Vouch wrote carries a marker comment; a profile without it
/// is someone else's and is replaced only when forced. Keys Vouch does not set stay in its own profile too.
/// </summary>
public static class AwsConfigEditor
{
    public const string Marker = "# managed by vouch (vouch setup aws)";

    /// <summary>
    /// <paramref name="original"/> with the profile written; <paramref name="path"/> names the file in errors. A file
    /// the AWS CLI would reject is refused (<see cref="AwsConfigFile.Parse"/>): writing into it would not make it work.
    /// </summary>
    public static string Apply(string original, string profile, IReadOnlyList<KeyValuePair<string, string>> settings, bool force, string path = "the AWS config file")
    {
        var newline = original.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var parsed = AwsConfigFile.Parse(original, path);
        var lines = SplitKeepingEndings(original);
        var header = profile == "default" ? "[default]" : $"[profile {profile}]";

        if (parsed.Profile(profile) is not { } section)
        {
            var builder = new StringBuilder(original);
            if (original.Length > 0 && !original.EndsWith('\n')) builder.Append(newline);
            if (original.Trim().Length > 0) builder.Append(newline);
            builder.Append(header).Append(newline).Append(Marker).Append(newline);
            foreach (var (key, value) in settings) builder.Append(key).Append(" = ").Append(value).Append(newline);
            return builder.ToString();
        }

        var (start, end) = (section.Start, section.End);
        var owned = Enumerable.Range(start + 1, end - start - 1).Any(i => parsed.Lines[i].Text.Trim() == Marker);
        if (!owned && !force)
        {
            throw new CliException(FailureKind.BadConfiguration,
                $"profile '{profile}' already exists and was not written by vouch: choose another --profile, or pass --force to replace it");
        }

        var remaining = settings.ToDictionary(s => s.Key, s => s.Value);
        var replaced = new HashSet<string>(StringComparer.Ordinal);
        var updated = new List<string>(end - start + settings.Count);
        if (!owned) updated.Add(Marker + newline);
        for (var i = start + 1; i < end; i++)
        {
            var line = parsed.Lines[i];
            if (line is { Kind: AwsConfigLineKind.Setting, Key: { } key } && remaining.Remove(key, out var value))
            {
                replaced.Add(key);
                updated.Add($"{key} = {value}{Ending(lines[i])}");
            }
            else if (line is { Kind: AwsConfigLineKind.Continuation, Key: { } continued } && replaced.Contains(continued))
            {
                // The old value's nested lines would otherwise continue the new one.
            }
            else
            {
                updated.Add(lines[i]);
            }
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

    /// <summary>
    /// Reads <paramref name="path"/>, applies the profile, and replaces the file atomically: a fresh temporary file
    /// beside it (created with O_EXCL, so a file or link planted at that name is never followed or overwritten; mode
    /// 0600 when new, else the file's own), flushed to disk, then renamed over it. A symbolic link (a dotfile manager's)
    /// stays a link: the file it points to is the one replaced. ~/.aws is created 0700.
    /// </summary>
    public static void Write(string path, string profile, IReadOnlyList<KeyValuePair<string, string>> settings, bool force) =>
        Write(path, profile, settings, force, RandomTemporaryName);

    /// <summary>As <see cref="Write(string, string, IReadOnlyList{KeyValuePair{string, string}}, bool)"/>, with the temporary file names from <paramref name="temporaryName"/> (given the config file's name).</summary>
    internal static void Write(string path, string profile, IReadOnlyList<KeyValuePair<string, string>> settings, bool force, Func<string, string> temporaryName)
    {
        var target = Target(Path.GetFullPath(path));
        var directory = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var exists = File.Exists(target);
        var original = exists ? File.ReadAllText(target) : "";
        var updated = Apply(original, profile, settings, force, path);
        var mode = exists ? File.GetUnixFileMode(target) : UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(updated);
        for (var attempt = 1; ; attempt++)
        {
            var temporary = Path.Combine(directory, temporaryName(Path.GetFileName(target)));
            FileStream stream;
            try
            {
                stream = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode });
            }
            catch (IOException) when (Path.Exists(temporary) || new FileInfo(temporary).LinkTarget is not null)
            {
                // Taken (by a crashed run, or planted): never ours to open or remove; try another name.
                if (attempt < MaxTemporaryAttempts) continue;
                throw new CliException(FailureKind.Failed, $"cannot create a temporary file beside {target}: {MaxTemporaryAttempts} names were taken; nothing was written");
            }
            var replaced = false;
            try
            {
                using (stream)
                {
                    stream.Write(bytes);
                    stream.Flush(flushToDisk: true);
                }
                File.Move(temporary, target, overwrite: true);
                replaced = true;
            }
            finally
            {
                // Ours: created by this run, so removing it after a failed write or rename removes nothing else.
                if (!replaced) File.Delete(temporary);
            }
            return;
        }
    }

    private const int MaxTemporaryAttempts = 5;

    private static string RandomTemporaryName(string file) => $".{file}.vouch-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8))}";

    /// <summary>The file to replace: <paramref name="path"/>, or the file its symbolic link (chain) finally points to.</summary>
    private static string Target(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is null) return path;
        try
        {
            return info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
        }
        catch (IOException e)
        {
            throw AwsConfigFile.UnfollowableLink(path, e);
        }
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
}
