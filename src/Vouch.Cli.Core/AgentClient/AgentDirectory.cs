using System.Globalization;
using Vouch.Cli.Configuration;

namespace Vouch.Cli.Agent;

/// <summary>
/// The directory that holds the agent's socket must be this user's own: a real directory (not a symbolic link),
/// owned by the effective uid, mode exactly 0700. Without <c>XDG_RUNTIME_DIR</c> it is <c>/tmp/vouch-UID</c>, a name
/// anyone can create first; the client checks it before it connects (so nothing is sent into a directory someone else
/// controls) and the agent before it listens. Checked with lstat: a link is described, never followed.
/// </summary>
internal static class AgentDirectory
{
    private const uint TypeMask = 0xF000;
    private const uint DirectoryType = 0x4000;
    private const uint LinkType = 0xA000;
    private const uint PermissionMask = 0x1FF;
    private const uint Private = 0x1C0; // 0700

    /// <summary>What is wrong with <paramref name="directory"/> as the agent's, in words; null when it is safe, or absent (and <paramref name="mustExist"/> is false).</summary>
    public static string? Problem(string directory, bool mustExist)
    {
        if (Native.LinkStatus(directory) is not var (owner, mode)) return mustExist ? "does not exist" : null;
        var self = Native.GetEffectiveUserId();
        return (mode & TypeMask) switch
        {
            LinkType => $"is a symbolic link (to {new FileInfo(directory).LinkTarget}), not a directory of your own",
            not DirectoryType => "is not a directory",
            _ when owner != self => $"belongs to another user (uid {owner.ToString(CultureInfo.InvariantCulture)}), not to you (uid {self.ToString(CultureInfo.InvariantCulture)})",
            _ when (mode & PermissionMask) != Private => $"has mode {Convert.ToString(mode & 0xFFF, 8).PadLeft(4, '0')}, not 0700 (other users could reach the socket in it)",
            _ => null,
        };
    }

    /// <summary>The client's refusal: nothing was sent to a socket in <paramref name="paths"/>'s directory.</summary>
    public static void RequireSafeToConnect(CliPaths paths)
    {
        if (Problem(paths.AgentDirectory, mustExist: false) is { } problem)
            throw Refusal(paths, problem, "nothing was sent to it");
    }

    /// <summary>
    /// The agent's preparation: creates the directory 0700 when absent (mkdir with that mode, so that it is never
    /// open to others even for a moment), then checks what is there, whoever made it.
    /// </summary>
    public static void PrepareToListen(CliPaths paths)
    {
        var directory = paths.AgentDirectory;
        if (Native.LinkStatus(directory) is null)
        {
            try
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            catch (IOException)
            {
                // Something appeared there meanwhile (a dangling link, a file): the check below names it.
            }
        }
        if (Problem(directory, mustExist: true) is { } problem)
            throw Refusal(paths, problem, "the agent will not listen there");
    }

    private static CliException Refusal(CliPaths paths, string problem, string consequence)
    {
        var fix = problem.StartsWith("has mode", StringComparison.Ordinal)
            ? $"run 'chmod 700 {paths.AgentDirectory}', or set XDG_RUNTIME_DIR or VOUCH_AGENT_SOCKET to a directory of your own"
            : "set XDG_RUNTIME_DIR or VOUCH_AGENT_SOCKET to a directory of your own (or remove it, if you may)";
        return new CliException(FailureKind.BadConfiguration, $"the agent directory {paths.AgentDirectory} {problem}: {consequence}; {fix}");
    }
}
