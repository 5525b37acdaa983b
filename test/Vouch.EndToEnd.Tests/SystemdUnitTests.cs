using System.Globalization;
using System.Security.Cryptography;
using Vouch.Protocol;
using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests;

/// <summary>
/// <c>deploy/systemd/vouch-server.service</c> as systemd reads it (<c>systemd-analyze</c>), and its command line and
/// environment run by hand the way systemd would run them. Running it under systemd itself needs systemd as PID 1,
/// which test machines do not have.
/// </summary>
public sealed class SystemdUnitTests : IDisposable
{
    private const string InstalledBinary = "/opt/vouch/vouch-server";
    private static readonly string UnitFile = Path.Combine(RepositoryPaths.Root, "deploy", "systemd", "vouch-server.service");
    private readonly TemporaryDirectory _directory = new("vouch-systemd-");

    /// <summary>The unit with ExecStart pointing at the published server (systemd-analyze checks that it is executable).</summary>
    private string LocalUnit()
    {
        var path = _directory.File("vouch-server.service");
        File.WriteAllText(path, File.ReadAllText(UnitFile).Replace(InstalledBinary, RepositoryPaths.ServerBinary, StringComparison.Ordinal));
        return path;
    }

    private static Task<ProcessResult> AnalyzeAsync(params string[] arguments)
    {
        if (!File.Exists("/usr/bin/systemd-analyze") && !File.Exists("/bin/systemd-analyze"))
            throw new InvalidOperationException("systemd-analyze is missing: scripts/install-test-deps.sh installs it (Debian package systemd)");
        return ProcessRunner.RunAsync("systemd-analyze", arguments);
    }

    [Fact]
    public async Task Systemd_analyze_verify_finds_nothing_to_say()
    {
        var verify = await AnalyzeAsync("verify", LocalUnit());

        Assert.True(verify.ExitCode == 0, verify.StandardError);
        // Unknown keys and bad values are only warnings, on stderr.
        Assert.Equal("", verify.StandardError.Trim());
    }

    [Fact]
    public async Task The_unit_is_hardened_without_forbidding_the_jit()
    {
        var security = await AnalyzeAsync("security", "--offline=yes", "--threshold=20", LocalUnit());

        Assert.True(security.ExitCode == 0, $"exposure above 2.0:\n{security.StandardOutput}{security.StandardError}");
        var unit = File.ReadAllLines(UnitFile);
        Assert.DoesNotContain(unit, line => line.StartsWith("MemoryDenyWriteExecute=", StringComparison.Ordinal));
        Assert.Contains("CapabilityBoundingSet=", unit);
        Assert.Contains("StateDirectory=vouch", unit);
    }

    [Fact]
    public async Task The_units_command_line_and_environment_start_the_server()
    {
        var unit = File.ReadAllLines(UnitFile);
        var state = Directory.CreateDirectory(_directory.File("state")).FullName;
        var credentials = Directory.CreateDirectory(_directory.File("credentials")).FullName;
        Directory.CreateDirectory(Path.Combine(state, "vouch"));
        File.WriteAllText(Path.Combine(credentials, "kek"), Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) + "\n");
        var port = FreePort.Next();
        // What systemd would substitute: %d the credentials directory, %S /var/lib; and a free port for 8080.
        string Expand(string value) => value.Replace("%d", credentials, StringComparison.Ordinal).Replace("%S", state, StringComparison.Ordinal)
            .Replace("127.0.0.1:8080", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", StringComparison.Ordinal);
        var command = Expand(Value(unit, "ExecStart")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(InstalledBinary, command[0]);
        var environment = unit.Where(l => l.StartsWith("Environment=", StringComparison.Ordinal))
            .Select(l => Expand(l["Environment=".Length..]).Split('=', 2))
            .ToDictionary(kv => kv[0], kv => (string?)kv[1]);
        // The administrator's EnvironmentFile (/etc/vouch/vouch.env), as docs/deploy.md shows it.
        environment["VOUCH_ISSUER"] = "https://vouch.example.com";
        environment["VOUCH_TRUSTED_PROXIES"] = "127.0.0.1";
        environment["VOUCH_KEY_ENCRYPTION_KEY"] = null;

        using var server = ProcessRunner.Start(RepositoryPaths.ServerBinary, command[1..], environment, Expand(Value(unit, "WorkingDirectory")));
        try
        {
            var output = Task.WhenAll(server.StandardOutput.ReadToEndAsync(), server.StandardError.ReadToEndAsync());
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var healthy = false;
            for (var deadline = DateTime.UtcNow.AddSeconds(60); !healthy && !server.HasExited && DateTime.UtcNow < deadline; await Task.Delay(100))
            {
                try
                {
                    using var response = await client.GetAsync($"http://127.0.0.1:{port}{ApiRoutes.Health}");
                    healthy = response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
            }
            if (!healthy && server.HasExited) Assert.Fail($"vouch-server exited {server.ExitCode}: {string.Join('\n', await output)}");

            Assert.True(healthy, "vouch-server did not answer /healthz in 60 s");
            Assert.True(File.Exists(Path.Combine(state, "vouch", "vouch.db")), "the database is not in the state directory");
        }
        finally
        {
            ProcessRunner.Terminate(server.Id);
            if (!server.WaitForExit(TimeSpan.FromSeconds(20))) server.Kill(entireProcessTree: true);
        }
    }

    private static string Value(IEnumerable<string> unit, string key) =>
        unit.Single(l => l.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..];

    public void Dispose() => _directory.Dispose();
}
