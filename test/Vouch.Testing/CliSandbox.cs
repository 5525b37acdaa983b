using System.Text.RegularExpressions;

namespace Vouch.Testing;

/// <summary>
/// A user's world for the published <c>vouch</c> binary: its own HOME, XDG runtime directory (0700), config
/// directory and software authenticator file. Stops the agent it started (by the PID beside its socket) on dispose.
/// </summary>
public sealed partial class CliSandbox : IDisposable
{
    private readonly TemporaryDirectory _directory = new("vouch-cli-");

    public CliSandbox()
    {
        Directory.CreateDirectory(Home);
        Directory.CreateDirectory(RuntimeDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public string Home => _directory.File("home");
    public string RuntimeDirectory => _directory.File("run");
    public string AgentSocket => Path.Combine(RuntimeDirectory, "vouch", "agent.sock");
    public string SoftwareKey => Path.Combine(Home, "software-key.json");

    public static string Binary
    {
        get
        {
            var path = Path.Combine(RepositoryPaths.Root, "artifacts", "bin", "vouch");
            if (!File.Exists(path)) throw new FileNotFoundException($"{path} is missing: run ./build.sh (./test.sh does)", path);
            return path;
        }
    }

    public Dictionary<string, string?> Environment(bool softwareKey = true) => new()
    {
        ["HOME"] = Home,
        ["XDG_RUNTIME_DIR"] = RuntimeDirectory,
        ["XDG_CONFIG_HOME"] = Path.Combine(Home, ".config"),
        ["VOUCH_AGENT_SOCKET"] = null,
        ["VOUCH_CONFIG_DIR"] = null,
        ["VOUCH_SERVER"] = null,
        ["VOUCH_SOFTWARE_AUTHENTICATOR"] = softwareKey ? SoftwareKey : null,
    };

    /// <summary>Runs <c>vouch</c> with no terminal attached (stdin is empty), as credential_process does.</summary>
    public Task<ProcessResult> RunAsync(params string[] arguments) => RunAsync(softwareKey: true, arguments);

    public Task<ProcessResult> RunAsync(bool softwareKey, params string[] arguments) =>
        ProcessRunner.RunAsync(Binary, arguments, Environment(softwareKey), Home, TimeSpan.FromSeconds(60), standardInput: "");

    /// <summary>Every file under HOME and the runtime directory that contains a session token or an ID token.</summary>
    public IReadOnlyList<string> FilesHoldingSecrets() =>
        new[] { Home, RuntimeDirectory }
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            // The agent's socket is an endpoint, not storage: nothing can be written into it.
            .Where(f => f != AgentSocket)
            .Where(f => new FileInfo(f).Length < 10_000_000 && Secret().IsMatch(File.ReadAllText(f)))
            .ToList();

    [GeneratedRegex(@"vs_[A-Za-z0-9_-]{32}|eyJ[A-Za-z0-9_-]{10,}\.eyJ")]
    private static partial Regex Secret();

    public void Dispose()
    {
        var pidFile = AgentSocket + ".pid";
        if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
        {
            ProcessRunner.Terminate(pid);
            for (var i = 0; i < 50 && File.Exists(pidFile); i++) Thread.Sleep(100);
        }
        _directory.Dispose();
    }
}
