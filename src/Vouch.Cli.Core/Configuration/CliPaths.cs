namespace Vouch.Cli.Configuration;

/// <summary>
/// Where the CLI keeps things. The config file holds no secret; the agent socket lives in the per-user runtime
/// directory (<c>$XDG_RUNTIME_DIR</c>), which is in memory and private on systemd machines.
/// </summary>
public sealed record CliPaths(string ConfigDirectory, string AgentSocket)
{
    public string ConfigFile => Path.Combine(ConfigDirectory, "config.json");

    public string AgentDirectory => Path.GetDirectoryName(AgentSocket)!;

    /// <summary>The agent's PID, beside its socket (not a secret; lets scripts and tests stop it).</summary>
    public string AgentPidFile => AgentSocket + ".pid";

    public static CliPaths From(Func<string, string?> environment)
    {
        var home = environment("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var config = environment("VOUCH_CONFIG_DIR") is { Length: > 0 } c ? c
            : Path.Combine(environment("XDG_CONFIG_HOME") is { Length: > 0 } x ? x : Path.Combine(home, ".config"), "vouch");
        var socket = environment("VOUCH_AGENT_SOCKET") is { Length: > 0 } s ? s
            : Path.Combine(environment("XDG_RUNTIME_DIR") is { Length: > 0 } r ? Path.Combine(r, "vouch") : $"/tmp/vouch-{Native.GetEffectiveUserId()}", "agent.sock");
        return new CliPaths(Path.GetFullPath(config), Path.GetFullPath(socket));
    }
}
