using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vouch.Cli.Configuration;

/// <summary>The CLI's remembered settings (<c>config.json</c>): only the server URL. Never a secret.</summary>
public sealed record CliConfig
{
    [JsonPropertyName("server")]
    public string? Server { get; init; }

    public static CliConfig Load(CliPaths paths)
    {
        if (!File.Exists(paths.ConfigFile)) return new CliConfig();
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(paths.ConfigFile), CliJsonContext.Default.CliConfig) ?? new CliConfig();
        }
        catch (JsonException e)
        {
            throw new CliException(FailureKind.BadConfiguration, $"{paths.ConfigFile} is not valid JSON ({e.Message}); fix or delete it");
        }
    }

    /// <summary>Writes the file atomically (temporary file, then rename), creating the directory 0700.</summary>
    public void Save(CliPaths paths)
    {
        Directory.CreateDirectory(paths.ConfigDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var temporary = paths.ConfigFile + ".tmp-" + Environment.ProcessId;
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, CliJsonContext.Default.CliConfig));
        File.Move(temporary, paths.ConfigFile, overwrite: true);
    }

    /// <summary>The server to use: the flag, else <c>VOUCH_SERVER</c>, else the remembered one.</summary>
    public static string ResolveServer(string? flag, Func<string, string?> environment, CliConfig config)
    {
        var server = flag ?? environment("VOUCH_SERVER") ?? config.Server;
        if (string.IsNullOrWhiteSpace(server))
            throw new CliException(FailureKind.BadConfiguration, "no Vouch server configured: pass --server URL (it is remembered)");
        server = server.Trim().TrimEnd('/');
        if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            throw new CliException(FailureKind.BadConfiguration, $"--server {server} is not an http(s) URL");
        if (uri.Scheme == Uri.UriSchemeHttp && !IsLoopback(uri.Host))
            throw new CliException(FailureKind.BadConfiguration, $"--server {server} must use https:// (http:// only for localhost)");
        return server;
    }

    private static bool IsLoopback(string host) =>
        host is "localhost" or "127.0.0.1" or "[::1]" || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
}
