using Microsoft.Extensions.Time.Testing;
using Vouch.Cli.Agent;
using Vouch.Cli.Commands;
using Vouch.Cli.Configuration;
using Vouch.Cli.Server;
using Vouch.Cli.Tests.Agent;
using Vouch.Testing;
using Xunit;

namespace Vouch.Cli.Tests.Aws;

/// <summary>
/// <c>vouch credential aws --format json</c> prints exactly the documented fields; <c>eval "$(vouch credential aws
/// --format env)"</c> in a real bash, with credentials from a hostile STS stand-in
/// that answers shell syntax: the command line, a real agent socket, the AWS SDK parsing the answer.
/// </summary>
public sealed class CredentialEnvFormatTests : IAsyncLifetime
{
    private const string Role = "arn:aws:iam::123456789012:role/VouchDeveloper";
    private readonly ServerConnections _connections = new(TimeProvider.System);
    private VouchStandIn _sts = null!;
    private TestAgent _agent = null!;

    private CliPaths Paths => _agent.Paths;

    private string Marker => _agent.Directory.File("pwned");

    public async Task InitializeAsync()
    {
        _sts = await VouchStandIn.StartAsync();
        _agent = await TestAgent.StartAsync(new FakeTimeProvider(DateTimeOffset.UtcNow), _connections, "vouch-env-");
        var login = await AgentClient.SendAsync(Paths, new AgentRequest
        {
            Op = AgentOperations.Login, Server = _sts.Url, Session = "vs_stand-in", Email = "alice@example.com", ExpiresAt = DateTimeOffset.UtcNow.AddHours(8),
        });
        Assert.True(login?.Ok, "the agent did not take the session");
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        await _sts.DisposeAsync();
        _connections.Dispose();
    }

    /// <summary>Runs <c>vouch credential aws --format FORMAT</c> in process against the agent and the stand-in STS.</summary>
    private async Task<(int ExitCode, CapturedConsole Console)> CredentialAwsAsync(string format)
    {
        var console = new CapturedConsole();
        var environment = new Dictionary<string, string?>
        {
            ["VOUCH_AGENT_SOCKET"] = Paths.AgentSocket,
            ["VOUCH_CONFIG_DIR"] = Paths.ConfigDirectory,
            ["AWS_ENDPOINT_URL_STS"] = _sts.Url,
            ["AWS_REGION"] = "us-east-1",
        };
        var context = new CliContext(console, name => environment.GetValueOrDefault(name), new Lazy<ServerConnections>(() => _connections));

        return (await VouchCommandLine.InvokeAsync(["credential", "aws", "--role", Role, "--format", format], context), console);
    }

    [Fact]
    public async Task Values_a_hostile_sts_answers_are_exported_exactly_and_never_run_by_the_shell()
    {
        _sts.StsCredentials = (
            $"ASIA$(touch {Marker})",
            $"it's'; touch {Marker}; echo '",
            $"`touch {Marker}`\"$HOME\\\" ; touch {Marker} # & | > <");
        var (exitCode, console) = await CredentialAwsAsync("env");
        var output = console.Out.ToString()!;
        // Each value on its own NUL-terminated record, so that the comparison sees every byte.
        var shell = await ProcessRunner.RunAsync("bash",
            ["-c", "eval \"$1\" && printf '%s\\0' \"$AWS_ACCESS_KEY_ID\" \"$AWS_SECRET_ACCESS_KEY\" \"$AWS_SESSION_TOKEN\" \"$AWS_REGION\"", "bash", output],
            workingDirectory: _agent.Directory.Path);

        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.True(shell.ExitCode == 0, shell.StandardError);
        Assert.False(File.Exists(Marker), "the shell ran a command from the credentials");
        Assert.Equal(
            [_sts.StsCredentials.AccessKeyId, _sts.StsCredentials.SecretAccessKey, _sts.StsCredentials.SessionToken, "us-east-1", ""],
            shell.StandardOutput.Split('\0'));
    }

    [Fact]
    public async Task The_json_format_has_exactly_the_documented_snake_case_fields()
    {
        _sts.StsCredentials = ("ASIASTANDIN", "secret/with+plus", "session+token/with=");
        var (exitCode, console) = await CredentialAwsAsync("json");

        Assert.True(exitCode == ExitCodes.Ok, console.Errors.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(console.Out.ToString()!);
        Assert.Equal(
            ["access_key_id", "secret_access_key", "session_token", "expiration", "role_arn", "assumed_role_arn", "region"],
            json.RootElement.EnumerateObject().Select(p => p.Name));
        // Values as STS sent them, greppable: no \u002B for '+'.
        Assert.Contains("\"session_token\":\"session+token/with=\"", console.Out.ToString(), StringComparison.Ordinal);
    }
}
