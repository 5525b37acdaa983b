using Microsoft.Extensions.Time.Testing;
using Vouch.Cli.Agent;
using Vouch.Cli.Commands;
using Vouch.Cli.Configuration;
using Vouch.Cli.Server;
using Vouch.Cli.Terminal;
using Vouch.Protocol;
using Vouch.Testing;
using Xunit;

namespace Vouch.Cli.Tests.Agent;

/// <summary>
/// Every command that reaches the server says the same words, with the "server refused" exit code, when the
/// server says the account is disabled: the command line against a real agent socket and a stand-in server.
/// </summary>
public sealed class DisabledAccountCommandTests : IAsyncLifetime
{
    private const string Role = "arn:aws:iam::123456789012:role/VouchDeveloper";
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly ServerConnections _connections = new(TimeProvider.System);
    private VouchStandIn _server = null!;
    private TestAgent _agent = null!;

    private CliPaths Paths => _agent.Paths;

    public async Task InitializeAsync()
    {
        _server = await VouchStandIn.StartAsync();
        _agent = await TestAgent.StartAsync(_time, _connections, "vouch-disabled-");
        var login = await AgentClient.SendAsync(Paths, new AgentRequest
        {
            Op = AgentOperations.Login, Server = _server.Url, Session = "vs_stand-in", Email = "alice@example.com", ExpiresAt = DateTimeOffset.UtcNow.AddHours(8),
        });
        Assert.True(login?.Ok, "the agent did not take the session");
        _server.Refusal = (403, ErrorCodes.UserDisabled);
        // Past the login's own confirmation, so that status asks the server.
        _time.Advance(SessionCheck.Interval + TimeSpan.FromSeconds(1));
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        await _server.DisposeAsync();
        _connections.Dispose();
    }

    [Theory]
    [InlineData("status")]
    [InlineData("credential", "token")]
    [InlineData("credential", "aws", "--role", Role)]
    [InlineData("exec", "--role", Role, "--", "true")]
    [InlineData("login", "--server", null)]
    public async Task A_disabled_account_is_said_in_words_with_the_refused_exit_code(params string?[] arguments)
    {
        var console = new CapturedConsole();
        var environment = new Dictionary<string, string?>
        {
            ["VOUCH_AGENT_SOCKET"] = Paths.AgentSocket,
            ["VOUCH_CONFIG_DIR"] = Paths.ConfigDirectory,
            ["AWS_ENDPOINT_URL_STS"] = _server.Url,
            ["AWS_REGION"] = "us-east-1",
        };
        var context = new CliContext(console, name => environment.GetValueOrDefault(name), new Lazy<ServerConnections>(() => _connections));

        var exitCode = await VouchCommandLine.InvokeAsync([.. arguments.Select(argument => argument ?? _server.Url)], context);

        Assert.Equal(ExitCodes.Refused, exitCode);
        Assert.Equal("vouch: your Vouch account is disabled; ask your administrator", console.Errors.ToString()!.Trim());
        Assert.Equal("", console.Out.ToString());
        // The agent forgot the session and tells whoever asks next why (login is refused before it reaches the agent).
        if (arguments[0] != "login")
            Assert.Equal(AgentErrors.UserDisabled, (await AgentClient.SendAsync(Paths, new AgentRequest { Op = AgentOperations.Status }))?.Error);
    }
}
