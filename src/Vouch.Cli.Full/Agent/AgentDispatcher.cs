using Vouch.Cli.Aws;
using Vouch.Cli.Configuration;
using Vouch.Cli.Server;
using Vouch.Protocol;

namespace Vouch.Cli.Agent;

/// <summary>
/// Answers one agent request by its operation. Expected failures become answers (<see cref="AgentAnswers.From"/>);
/// a session the server says has ended, or whose user it says is disabled, is forgotten with its credentials.
/// Cached credentials and the status are given only for a session the server still honours (<see cref="SessionCheck"/>).
/// <paramref name="lifetime"/> is the agent's: a server or STS call shared by several askers outlives any one of them.
/// </summary>
internal sealed class AgentDispatcher(AgentState state, ServerConnections connections, CancellationToken lifetime)
{
    private static readonly AgentResponse NoSession = AgentResponse.Fail(AgentErrors.NotLoggedIn, AgentErrors.NotLoggedInMessage);

    public async Task<AgentResponse> HandleAsync(AgentRequest request, CancellationToken cancellationToken)
    {
        var session = state.Touch();
        switch (request)
        {
            case { Op: AgentOperations.Ping }:
                return new AgentResponse { Ok = true };
            case { Op: AgentOperations.Login, Server: { } server, Session: { } token, Email: { } email, ExpiresAt: { } expiresAt }:
                if (LoginProblem(server, token) is { } problem) return AgentResponse.Fail(AgentErrors.BadRequest, problem);
                state.Begin(new AgentSession(server, token, email, expiresAt));
                return new AgentResponse { Ok = true, Email = email, Server = server, ExpiresAt = expiresAt };
            case { Op: AgentOperations.Logout }:
                state.End();
                return session is null ? new AgentResponse { Ok = true } : await LogoutAsync(session, cancellationToken);
            case { Op: AgentOperations.Status }:
                return session is null ? await NoSessionAnswerAsync() : await StatusAsync(session);
            case { Op: AgentOperations.Token }:
                return session is null ? await NoSessionAnswerAsync() : await TokenAsync(session, request.Audience, cancellationToken);
            case { Op: AgentOperations.Aws, Role: { } role, DurationSeconds: { } duration, Region: { } region }:
                return session is null ? await NoSessionAnswerAsync() : await AwsAsync(session, region, request.StsEndpoint, role, duration);
            default:
                return AgentResponse.Fail(AgentErrors.BadRequest, $"unknown operation '{request.Op}'");
        }
    }

    /// <summary>
    /// Why a login cannot be kept, or null: the server must be a URL the CLI accepts (<see cref="CliConfig.ResolveServer"/>)
    /// and the session a token of the server's alphabet (letters, digits, '-' and '_'), else every later request would fail on it.
    /// </summary>
    private static string? LoginProblem(string server, string token)
    {
        try
        {
            CliConfig.ResolveServer(server, _ => null, new CliConfig());
        }
        catch (CliException)
        {
            return "login: the server is not an http(s) URL the CLI accepts (https://, or http:// for localhost)";
        }
        return token.Length is > 0 and <= MaxSessionLength && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')
            ? null
            : "login: the session is not a Vouch session token";
    }

    /// <summary>The longest session token kept, in characters (far above the server's 35).</summary>
    private const int MaxSessionLength = 512;

    /// <summary>
    /// Without a session: why the server ended the last one, if it did, else "not logged in". A disabled account is
    /// asked about again (at most once per <see cref="SessionCheck.Interval"/>): once the server no longer says it is
    /// disabled (its old session is refused as ended), the answer is "not logged in", which a new login mends.
    /// </summary>
    private async Task<AgentResponse> NoSessionAnswerAsync()
    {
        if (state.EndedBecause is not { } ended) return NoSession;
        if (ended.Disabled is not { } disabled || state.Time.GetUtcNow() - ended.AskedAt <= SessionCheck.Interval) return ended.Answer;
        var enabled = true;
        try
        {
            await new VouchServerClient(connections, disabled.Server).GetSessionAsync(disabled.Token, lifetime);
        }
        catch (CliException e) when (e.Kind != FailureKind.NotLoggedIn)
        {
            // Still disabled, or the server cannot say (unreachable): the last word stands.
            enabled = false;
        }
        catch (CliException)
        {
            // The session is refused as ended, no longer the account as disabled.
        }
        state.Rechecked(ended, enabled);
        return enabled ? NoSession : ended.Answer;
    }

    private async Task<AgentResponse> LogoutAsync(AgentSession session, CancellationToken cancellationToken)
    {
        try
        {
            await new VouchServerClient(connections, session.Server).LogoutAsync(session.Token, cancellationToken);
            return new AgentResponse { Ok = true, Email = session.Email };
        }
        catch (CliException e)
        {
            // Forgotten here in any case; the server keeps the session until it expires or is revoked.
            return new AgentResponse { Ok = true, Email = session.Email, ExpiresAt = session.ExpiresAt, Message = e.Message };
        }
    }

    /// <summary>The session, once the server confirms it; while the server cannot be reached, the session held, with why in <see cref="AgentResponse.Message"/>.</summary>
    private async Task<AgentResponse> StatusAsync(AgentSession session) =>
        await AnswerAsync(session, async () =>
        {
            // Any failed confirmation is said at once, also while the offline grace still serves cached credentials.
            string? unconfirmed;
            try
            {
                unconfirmed = (await ConfirmAsync(session))?.Message;
            }
            catch (CliException e) when (e.Kind == FailureKind.ServerUnreachable)
            {
                unconfirmed = e.Message;
            }
            return new AgentResponse { Ok = true, Email = session.Email, Server = session.Server, ExpiresAt = session.ExpiresAt, Message = unconfirmed };
        });

    private async Task<AgentResponse> TokenAsync(AgentSession session, string? audience, CancellationToken cancellationToken) =>
        await AnswerAsync(session, async () =>
        {
            var token = await IssueTokenAsync(session, audience, cancellationToken);
            return new AgentResponse { Ok = true, Email = session.Email, Server = session.Server, IdToken = token.IdToken, TokenExpiresAt = token.ExpiresAt };
        });

    /// <summary>
    /// Credentials for the role from the session's cache once the server confirms the session, or from one fetch
    /// (token request, then STS) shared by every concurrent asker; its token request confirms the session. The STS
    /// endpoint is checked here too (<see cref="StsTarget.Create"/>): the ID token goes there. A logout while the fetch
    /// runs cancels it and keeps nothing (<see cref="CredentialCache.Close"/>).
    /// </summary>
    private async Task<AgentResponse> AwsAsync(AgentSession session, string region, string? endpoint, string role, int duration) =>
        await AnswerAsync(session, async () =>
        {
            var target = StsTarget.Create(region, endpoint);
            var cache = state.CredentialsOf(session) ?? throw new CliException(FailureKind.NotLoggedIn, AgentState.LoggedOutMessage);
            var key = string.Join('\n', session.Server, session.Email, role, duration, target.Region, target.Endpoint);
            if (cache.Holds(key)) await ConfirmAsync(session);
            var credentials = await cache.GetAsync(key, async dropped =>
            {
                // Ended by the agent stopping, or by the session ending (the cache closing), whichever comes first.
                using var either = CancellationTokenSource.CreateLinkedTokenSource(lifetime, dropped);
                return await StsExchange.AssumeRoleAsync(
                    target, role, duration, session.Email, session.Server,
                    async ct => (await IssueTokenAsync(session, null, ct)).IdToken, state.Time, either.Token);
            });
            return new AgentResponse { Ok = true, Email = session.Email, Server = session.Server, Credentials = credentials };
        });

    /// <summary>Completes once the session is confirmed; returns why the server could not confirm it, within the offline grace.</summary>
    private Task<CliException?> ConfirmAsync(AgentSession session)
    {
        var check = state.CheckOf(session) ?? throw new CliException(FailureKind.NotLoggedIn, AgentErrors.NotLoggedInMessage);
        return check.EnsureAsync(() => new VouchServerClient(connections, session.Server).GetSessionAsync(session.Token, lifetime));
    }

    private async Task<TokenResponse> IssueTokenAsync(AgentSession session, string? audience, CancellationToken cancellationToken)
    {
        var token = await new VouchServerClient(connections, session.Server).PostAsync(
            ApiRoutes.Token, new TokenRequest(audience), ProtocolJsonContext.Default.TokenRequest,
            ProtocolJsonContext.Default.TokenResponse, session.Token, cancellationToken);
        state.CheckOf(session)?.Confirmed();
        return token;
    }

    /// <summary>Turns the expected failures of <paramref name="work"/> into answers; forgets a session the server ended or whose user it disabled.</summary>
    private async Task<AgentResponse> AnswerAsync(AgentSession session, Func<Task<AgentResponse>> work)
    {
        try
        {
            return await work();
        }
        catch (CliException e)
        {
            var answer = AgentAnswers.From(e);
            if (e.Kind is FailureKind.NotLoggedIn or FailureKind.UserDisabled) state.Forget(session, answer, e);
            return answer;
        }
    }
}
