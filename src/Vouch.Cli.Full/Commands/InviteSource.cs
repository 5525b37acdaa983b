using Vouch.Cli.Terminal;

namespace Vouch.Cli.Commands;

/// <summary>
/// Where <c>vouch enroll</c> gets its invite code. Never from anything other local users can read while enroll waits
/// for the touch and PIN (argv is world-readable in <c>/proc/PID/cmdline</c>): a no-echo prompt on a terminal,
/// otherwise one line of standard input, or the first line of <c>--invite-file</c>. <c>--invite CODE</c> still works
/// for scripts, with a warning. The code is never written anywhere, nor handed to another process.
/// </summary>
internal static class InviteSource
{
    public const string Prompt = "Invite code (from your administrator; not shown as you type): ";

    public const string ArgvWarning =
        "vouch: warning: --invite puts the code where other local users can read it (the process list) while enroll runs, " +
        "and in your shell history: type it when asked, pipe it on standard input, or use --invite-file FILE";

    /// <summary>The code, trimmed; a <see cref="CliException"/> (never carrying the code) when there is none.</summary>
    public static string Read(IConsole console, string? argument, string? file)
    {
        if (argument is not null && file is not null)
            throw new CliException(FailureKind.Usage, "pass either --invite or --invite-file, not both");
        string? code;
        if (argument is not null)
        {
            console.Errors.WriteLine(ArgvWarning);
            code = argument;
        }
        else if (file is not null)
            code = FromFile(file);
        else if (console.IsInteractive)
            code = console.ReadSecret(Prompt);
        else
            code = console.ReadRedirectedLine();
        code = code?.Trim();
        // No code: a later issue starts a device flow here (the server shows a code to approve in a browser).
        if (string.IsNullOrEmpty(code))
            throw new CliException(FailureKind.Usage,
                "no invite code: type the code from your administrator when asked, pipe it on standard input, or pass --invite-file FILE");
        return code;
    }

    /// <summary>
    /// The first line of <paramref name="path"/>. Refused when its group or other users may read it, as ssh refuses
    /// such a private key: a readable file leaks the code as argv would.
    /// </summary>
    private static string FromFile(string path)
    {
        UnixFileMode mode;
        try
        {
            mode = File.GetUnixFileMode(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(FailureKind.BadConfiguration, $"cannot read the invite file {path}: {e.Message}");
        }
        if ((mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
            throw new CliException(FailureKind.BadConfiguration,
                $"the invite file {path} can be read by other users: make it private (chmod 600 {path}) and run the command again");
        try
        {
            using var reader = new StreamReader(path);
            return reader.ReadLine() ?? "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(FailureKind.BadConfiguration, $"cannot read the invite file {path}: {e.Message}");
        }
    }
}
