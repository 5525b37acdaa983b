using Microsoft.Extensions.Time.Testing;
using Vouch.Cli.Agent;
using Vouch.Cli.Server;
using Vouch.Protocol;
using Xunit;

namespace Vouch.Cli.Tests.Agent;

/// <summary>
/// The agent against a stand-in server and STS, on a clock the test moves: cached AWS credentials go only to a
/// session the server still honours, and a disabled user or an ended session is forgotten with its credentials.
/// </summary>
public sealed class AgentSessionConfirmationTests : IAsyncLifetime
{
    private const string Role = "arn:aws:iam::123456789012:role/VouchDeveloper";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero));
    private readonly ServerConnections _connections = new(TimeProvider.System);
    private readonly CancellationTokenSource _lifetime = new();
    private VouchStandIn _server = null!;
    private AgentDispatcher _agent = null!;

    public async Task InitializeAsync()
    {
        _server = await VouchStandIn.StartAsync();
        _agent = new AgentDispatcher(new AgentState(_time), _connections, _lifetime.Token);
        var login = await AskAsync(new AgentRequest
        {
            Op = AgentOperations.Login, Server = _server.Url, Session = "vs_stand-in", Email = "alice@example.com", ExpiresAt = _time.GetUtcNow().AddHours(8),
        });
        Assert.True(login.Ok);
    }

    public async Task DisposeAsync()
    {
        await _lifetime.CancelAsync();
        await _server.DisposeAsync();
        _connections.Dispose();
        _lifetime.Dispose();
    }

    private Task<AgentResponse> AskAsync(AgentRequest request) => _agent.HandleAsync(request, CancellationToken.None);

    private Task<AgentResponse> AwsAsync() => AskAsync(new AgentRequest
    {
        Op = AgentOperations.Aws, Role = Role, DurationSeconds = 3600, Region = "us-east-1", StsEndpoint = _server.Url,
    });

    /// <summary>Credentials cached, then the server refuses with <paramref name="error"/>, then the agent is asked again past the interval.</summary>
    private async Task<AgentResponse> CachedThenRefusedAsync(int status, string error)
    {
        Assert.True((await AwsAsync()).Ok);
        _server.Refusal = (status, error);
        _time.Advance(TimeSpan.FromSeconds(2));
        return await AwsAsync();
    }

    [Fact]
    public async Task Cached_credentials_are_served_without_asking_the_server_within_the_confirmation_interval()
    {
        var first = await AwsAsync();
        _time.Advance(SessionCheck.Interval);
        var second = await AwsAsync();

        Assert.Equal("ASIASTANDIN", first.Credentials?.AccessKeyId);
        Assert.Equal("ASIASTANDIN", second.Credentials?.AccessKeyId);
        Assert.Equal(1, _server.Requests("/"));
        Assert.Equal(1, _server.Requests(ApiRoutes.Token));
        Assert.Equal(0, _server.Requests(ApiRoutes.Session));
    }

    [Fact]
    public async Task Cached_credentials_are_served_after_the_interval_once_the_server_confirms_the_session()
    {
        await AwsAsync();
        _time.Advance(TimeSpan.FromSeconds(2));

        var cached = await AwsAsync();

        Assert.True(cached.Ok);
        Assert.Equal(1, _server.Requests("/"));
        Assert.Equal(1, _server.Requests(ApiRoutes.Session));
    }

    [Fact]
    public async Task A_disabled_user_is_not_served_cached_credentials_and_the_session_is_forgotten()
    {
        var refused = await CachedThenRefusedAsync(403, ErrorCodes.UserDisabled);
        var failure = AgentClient.Refusal(refused);
        _server.Refusal = null;
        var sessionChecks = _server.Requests(ApiRoutes.Session);
        var after = await AwsAsync();

        Assert.Equal(AgentErrors.UserDisabled, refused.Error);
        Assert.Null(refused.Credentials);
        Assert.Equal(ExitCodes.Refused, failure.ExitCode);
        Assert.Equal("your Vouch account is disabled; ask your administrator", failure.Message);
        // Forgotten: the next request is told why without asking the server, and gets nothing from the cache.
        Assert.Equal(AgentErrors.UserDisabled, after.Error);
        Assert.Null(after.Credentials);
        Assert.Equal(sessionChecks, _server.Requests(ApiRoutes.Session));
        Assert.Equal(1, _server.Requests("/"));
    }

    [Fact]
    public async Task A_revoked_session_is_not_served_cached_credentials_and_is_forgotten()
    {
        var refused = await CachedThenRefusedAsync(401, ErrorCodes.SessionRevoked);
        var status = await AskAsync(new AgentRequest { Op = AgentOperations.Status });

        Assert.Equal(AgentErrors.NotLoggedIn, refused.Error);
        Assert.Equal(ExitCodes.NotLoggedIn, AgentClient.Refusal(refused).ExitCode);
        // The server's description as it is (it says what to do), then its code: docs/cli.md, "the server answers".
        Assert.Equal("the session was revoked: run 'vouch login' (session_revoked)", refused.Message);
        Assert.Equal(AgentErrors.NotLoggedIn, status.Error);
    }

    [Theory]
    [InlineData(AgentOperations.Token)]
    [InlineData(AgentOperations.Status)]
    public async Task A_disabled_user_is_told_so_by_token_and_status_and_the_session_is_forgotten(string operation)
    {
        _server.Refusal = (403, ErrorCodes.UserDisabled);
        _time.Advance(TimeSpan.FromSeconds(2));

        var refused = await AskAsync(new AgentRequest { Op = operation });
        var asked = _server.Requests(ApiRoutes.Session) + _server.Requests(ApiRoutes.Token);
        var after = await AskAsync(new AgentRequest { Op = AgentOperations.Status });

        Assert.Equal(AgentErrors.UserDisabled, refused.Error);
        Assert.Equal("your Vouch account is disabled; ask your administrator", refused.Message);
        // The session is forgotten, and whoever asks next is told why without the server being asked.
        Assert.Equal(AgentErrors.UserDisabled, after.Error);
        Assert.Equal(asked, _server.Requests(ApiRoutes.Session) + _server.Requests(ApiRoutes.Token));
    }

    [Fact]
    public async Task While_the_server_is_unreachable_cached_credentials_are_served_only_within_the_offline_grace()
    {
        await AwsAsync();
        await _server.StopAsync();

        _time.Advance(TimeSpan.FromMinutes(4));
        var within = await AwsAsync();
        _time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        var beyond = await AwsAsync();

        Assert.Equal("ASIASTANDIN", within.Credentials?.AccessKeyId);
        Assert.Equal(AgentErrors.ServerUnreachable, beyond.Error);
        Assert.Null(beyond.Credentials);
        Assert.Contains("connection refused", beyond.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_shows_the_session_held_while_the_server_is_unreachable_and_says_why()
    {
        await _server.StopAsync();
        _time.Advance(SessionCheck.OfflineGrace + TimeSpan.FromSeconds(1));

        var status = await AskAsync(new AgentRequest { Op = AgentOperations.Status });

        Assert.True(status.Ok);
        Assert.Equal("alice@example.com", status.Email);
        Assert.Contains("cannot reach the Vouch server", status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_says_at_once_that_the_server_could_not_confirm_the_session_while_credentials_are_still_served()
    {
        await AwsAsync();
        await _server.StopAsync();
        _time.Advance(TimeSpan.FromSeconds(2));

        var status = await AskAsync(new AgentRequest { Op = AgentOperations.Status });
        var cached = await AwsAsync();

        Assert.True(status.Ok);
        Assert.Contains("cannot reach the Vouch server", status.Message, StringComparison.Ordinal);
        Assert.EndsWith("after it last confirmed your session; that was 0 minutes ago)", status.Message, StringComparison.Ordinal);
        Assert.Equal("ASIASTANDIN", cached.Credentials?.AccessKeyId);
    }

    [Fact]
    public async Task Once_the_account_is_enabled_again_the_agent_says_not_logged_in_instead_of_disabled()
    {
        _server.Refusal = (403, ErrorCodes.UserDisabled);
        _time.Advance(TimeSpan.FromSeconds(2));
        var disabled = await AskAsync(new AgentRequest { Op = AgentOperations.Status });
        _time.Advance(TimeSpan.FromSeconds(2));
        var stillDisabled = await AskAsync(new AgentRequest { Op = AgentOperations.Status });
        // Enabling restores login, not the sessions that disabling revoked.
        _server.Refusal = (401, ErrorCodes.SessionRevoked);
        var withinInterval = await AskAsync(new AgentRequest { Op = AgentOperations.Token });
        _time.Advance(TimeSpan.FromSeconds(2));
        var enabled = await AskAsync(new AgentRequest { Op = AgentOperations.Status });
        var token = await AskAsync(new AgentRequest { Op = AgentOperations.Token });

        Assert.Equal(AgentErrors.UserDisabled, disabled.Error);
        Assert.Equal(AgentErrors.UserDisabled, stillDisabled.Error);
        Assert.Equal(AgentErrors.UserDisabled, withinInterval.Error);
        Assert.Equal((AgentErrors.NotLoggedIn, AgentErrors.NotLoggedInMessage), (enabled.Error, enabled.Message));
        Assert.Equal(ExitCodes.NotLoggedIn, AgentClient.Refusal(enabled).ExitCode);
        Assert.Equal(AgentErrors.NotLoggedIn, token.Error);
    }

    [Fact]
    public async Task A_logout_while_sts_answers_keeps_nothing_and_tells_the_waiting_asker_it_logged_out()
    {
        _server.HoldSts = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var asking = AwsAsync();
        await _server.StsHeld.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var logout = await AskAsync(new AgentRequest { Op = AgentOperations.Logout });
        // Answered while STS still holds the request: the asker does not wait for a fetch whose result is dropped.
        var answer = await asking.WaitAsync(TimeSpan.FromSeconds(10));
        _server.HoldSts.SetResult();
        _server.HoldSts = null;
        await AskAsync(new AgentRequest
        {
            Op = AgentOperations.Login, Server = _server.Url, Session = "vs_stand-in-2", Email = "alice@example.com", ExpiresAt = _time.GetUtcNow().AddHours(8),
        });
        var afterLogin = await AwsAsync();

        Assert.True(logout.Ok);
        Assert.False(answer.Ok);
        Assert.Null(answer.Credentials);
        Assert.Equal(AgentErrors.NotLoggedIn, answer.Error);
        Assert.Equal(AgentState.LoggedOutMessage, answer.Message);
        Assert.Equal(ExitCodes.NotLoggedIn, AgentClient.Refusal(answer).ExitCode);
        // The held answer was never cached: the new session's first request goes to STS again.
        Assert.True(afterLogin.Ok);
        Assert.Equal(2, _server.Requests("/"));
    }

    [Theory]
    [InlineData("http://sts.invalid")]
    [InlineData("http://10.0.0.1:8080")]
    [InlineData("http://localhost.attacker.example")]
    public async Task The_agent_sends_no_token_anywhere_for_a_plain_http_sts_endpoint_off_loopback(string endpoint)
    {
        _time.Advance(TimeSpan.FromSeconds(2));

        var answer = await AskAsync(new AgentRequest
        {
            Op = AgentOperations.Aws, Role = Role, DurationSeconds = 3600, Region = "us-east-1", StsEndpoint = endpoint,
        });

        Assert.False(answer.Ok);
        Assert.Contains("is plain http:// to a host that is not loopback", answer.Message, StringComparison.Ordinal);
        Assert.Equal(0, _server.Requests(ApiRoutes.Token));
        Assert.Equal(0, _server.Requests(ApiRoutes.Session));
    }
}
