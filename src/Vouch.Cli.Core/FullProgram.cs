namespace Vouch.Cli;

/// <summary>
/// The two executables, side by side in one directory: <c>vouch</c>, the small client people and credential_process
/// run (src/Vouch.Client: <see cref="HotPath"/> and nothing else), and <c>vouch-agent</c>, the full program (every
/// command, the agent, the AWS SDK, HTTP, WebAuthn, libfido2). For anything but the hot path the client runs the full
/// program in its own place (execv: same PID, arguments, environment, standard streams and exit code).
/// </summary>
internal static class FullProgram
{
    public const string FileName = "vouch-agent";
    public const string ClientFileName = "vouch";

    /// <summary>
    /// Replaces this process with <c>vouch-agent</c> beside it, with <paramref name="args"/>; returns only when that
    /// fails (exit code <see cref="ExitCodes.Failed"/>, said on stderr). Its argv[0] is this executable's path, so that
    /// usage and help name the command people typed.
    /// </summary>
    public static int Exec(string[] args)
    {
        var self = Environment.ProcessPath ?? "vouch";
        var full = Path.Combine(Path.GetDirectoryName(self) ?? ".", FileName);
        var errno = Native.Exec(full, [self, .. args]);
        Console.Error.WriteLine($"vouch: cannot run {full} (errno {errno}): vouch and vouch-agent must be installed side by side in one directory");
        return ExitCodes.Failed;
    }

    /// <summary>
    /// The <c>vouch</c> people run, for what other programs will start (credential_process): the client beside this
    /// executable when this is <c>vouch-agent</c> and the client is there, else this executable itself.
    /// </summary>
    public static string ClientPath(string self)
    {
        var client = Path.Combine(Path.GetDirectoryName(self) ?? ".", ClientFileName);
        return Path.GetFileName(self) == FileName && File.Exists(client) ? client : self;
    }
}
