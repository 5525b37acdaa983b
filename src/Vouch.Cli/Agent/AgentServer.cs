using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Vouch.Cli.Aws;
using Vouch.Cli.Configuration;
using Vouch.Cli.Server;
using Vouch.Protocol;

namespace Vouch.Cli.Agent;

/// <summary>
/// <c>vouch agent</c>: holds the session in memory only and answers one JSON request per connection on a Unix
/// socket (directory 0700, socket 0600); a connection from another uid (SO_PEERCRED) is refused. It exits after
/// it has held no session for <see cref="IdleExit"/>.
/// </summary>
public sealed class AgentServer(CliPaths paths, HttpClient http, TimeProvider time, TextWriter log)
{
    public static readonly TimeSpan IdleExit = TimeSpan.FromMinutes(10);
    private const int MaxRequestBytes = 64 * 1024;

    private sealed record Session(string Server, string Token, string Email, DateTimeOffset ExpiresAt);

    private readonly Lock _gate = new();
    private readonly CredentialCache _credentials = new(time);
    private Session? _session;
    private DateTimeOffset _lastActive;
    private CancellationToken _lifetime;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        PrepareDirectory();
        if (await AgentClient.IsRunningAsync(paths))
        {
            log.WriteLine($"vouch agent: already running on {paths.AgentSocket}");
            return ExitCodes.Ok;
        }
        File.Delete(paths.AgentSocket);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(paths.AgentSocket));
        File.SetUnixFileMode(paths.AgentSocket, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        listener.Listen(64);
        await File.WriteAllTextAsync(paths.AgentPidFile, Environment.ProcessId + "\n", cancellationToken);
        log.WriteLine($"vouch agent: listening on {paths.AgentSocket} (pid {Environment.ProcessId})");
        _lastActive = time.GetUtcNow();

        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _lifetime = idle.Token;
        _ = WatchIdleAsync(idle);
        try
        {
            while (!idle.IsCancellationRequested)
            {
                var connection = await listener.AcceptAsync(idle.Token);
                _ = Task.Run(() => ServeAsync(connection, idle.Token), CancellationToken.None);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped, or idle too long.
        }
        finally
        {
            File.Delete(paths.AgentSocket);
            File.Delete(paths.AgentPidFile);
        }
        log.WriteLine("vouch agent: stopped");
        return ExitCodes.Ok;
    }

    private void PrepareDirectory()
    {
        var directory = paths.AgentDirectory;
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var mode = File.GetUnixFileMode(directory);
        if ((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
            throw new CliException(ExitCodes.BadConfiguration, $"{directory} is accessible to other users (mode {Convert.ToString((int)mode, 8)}): make it 0700 or choose another VOUCH_AGENT_SOCKET");
    }

    private async Task WatchIdleAsync(CancellationTokenSource stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(30), time);
        while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false))
        {
            lock (_gate)
            {
                if (_session is { } s && s.ExpiresAt <= time.GetUtcNow()) _session = null;
                if (_session is not null) _lastActive = time.GetUtcNow();
                else if (time.GetUtcNow() - _lastActive > IdleExit) stop.Cancel();
            }
        }
    }

    private async Task ServeAsync(Socket connection, CancellationToken cancellationToken)
    {
        using (connection)
        {
            AgentResponse response;
            if (PeerCredentials.UserId(connection) != Native.GetEffectiveUserId())
            {
                log.WriteLine("vouch agent: refused a connection from another user");
                response = AgentResponse.Fail(AgentErrors.Forbidden, "the agent serves only its own user");
            }
            else
            {
                response = await HandleAsync(await ReadRequestAsync(connection, cancellationToken), cancellationToken);
            }
            var bytes = JsonSerializer.SerializeToUtf8Bytes(response, CliJsonContext.Default.AgentResponse);
            try
            {
                await connection.SendAsync(bytes.Append((byte)'\n').ToArray(), cancellationToken);
            }
            catch (SocketException)
            {
                // The client went away.
            }
        }
    }

    private static async Task<AgentRequest?> ReadRequestAsync(Socket connection, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        var buffer = new byte[MaxRequestBytes];
        var length = 0;
        try
        {
            while (length < buffer.Length)
            {
                var read = await connection.ReceiveAsync(buffer.AsMemory(length), timeout.Token);
                if (read == 0) break;
                length += read;
                if (Array.IndexOf(buffer, (byte)'\n', length - read, read) >= 0) break;
            }
            return JsonSerializer.Deserialize(buffer.AsSpan(0, length).TrimEnd((byte)'\n'), CliJsonContext.Default.AgentRequest);
        }
        catch (Exception e) when (e is JsonException or OperationCanceledException or SocketException)
        {
            return null;
        }
    }

    private async Task<AgentResponse> HandleAsync(AgentRequest? request, CancellationToken cancellationToken)
    {
        if (request is null) return AgentResponse.Fail(AgentErrors.BadRequest, "malformed request");
        var now = time.GetUtcNow();
        Session? session;
        lock (_gate)
        {
            _lastActive = now;
            if (_session is { } expired && expired.ExpiresAt <= now) _session = null;
            session = _session;
        }
        switch (request.Op)
        {
            case AgentOperations.Login when request is { Server: { } server, Session: { } token, Email: { } email, ExpiresAt: { } expiresAt }:
                lock (_gate) _session = new Session(server, token, email, expiresAt);
                _credentials.Clear();
                return new AgentResponse { Ok = true, Email = email, Server = server, ExpiresAt = expiresAt };
            case AgentOperations.Logout:
                lock (_gate) _session = null;
                _credentials.Clear();
                if (session is null) return new AgentResponse { Ok = true };
                try
                {
                    await new VouchServerClient(http, session.Server).LogoutAsync(session.Token, cancellationToken);
                    return new AgentResponse { Ok = true, Email = session.Email };
                }
                catch (CliException e)
                {
                    // Forgotten here in any case; the server keeps the session until it expires or is revoked.
                    return new AgentResponse { Ok = true, Email = session.Email, ExpiresAt = session.ExpiresAt, Message = e.Message };
                }
            case AgentOperations.Status:
                return session is null
                    ? AgentResponse.Fail(AgentErrors.NotLoggedIn, "not logged in: run 'vouch login'")
                    : new AgentResponse { Ok = true, Email = session.Email, Server = session.Server, ExpiresAt = session.ExpiresAt };
            case AgentOperations.Token:
                return session is null
                    ? AgentResponse.Fail(AgentErrors.NotLoggedIn, "not logged in: run 'vouch login'")
                    : await TokenAsync(session, request.Audience, cancellationToken);
            case AgentOperations.Aws when request is { Role: { } role, DurationSeconds: { } duration, Region: { } region }:
                return session is null
                    ? AgentResponse.Fail(AgentErrors.NotLoggedIn, "not logged in: run 'vouch login'")
                    : await AwsAsync(session, new StsTarget(region, request.StsEndpoint), role, duration, cancellationToken);
            default:
                return AgentResponse.Fail(AgentErrors.BadRequest, $"unknown operation '{request.Op}'");
        }
    }

    private async Task<AgentResponse> TokenAsync(Session session, string? audience, CancellationToken cancellationToken) =>
        await AnswerAsync(session, async () =>
        {
            var token = await IssueTokenAsync(session, audience, cancellationToken);
            return new AgentResponse { Ok = true, Email = session.Email, Server = session.Server, IdToken = token.IdToken, TokenExpiresAt = token.ExpiresAt };
        });

    /// <summary>Credentials for the role from the cache, or from one STS call shared by every concurrent asker.</summary>
    private async Task<AgentResponse> AwsAsync(Session session, StsTarget target, string role, int duration, CancellationToken cancellationToken) =>
        await AnswerAsync(session, async () =>
        {
            var key = string.Join('\n', session.Server, session.Email, role, duration, target.Region, target.Endpoint);
            // The STS call outlives any one asker: it runs on the agent's lifetime, not on the request that started it.
            var credentials = await _credentials.GetAsync(key, () => StsExchange.AssumeRoleAsync(
                target, role, duration, session.Email, session.Server,
                async ct => (await IssueTokenAsync(session, null, ct)).IdToken, _lifetime));
            return new AgentResponse { Ok = true, Email = session.Email, Server = session.Server, Credentials = credentials };
        });

    private Task<TokenResponse> IssueTokenAsync(Session session, string? audience, CancellationToken cancellationToken) =>
        new VouchServerClient(http, session.Server).PostAsync(
            ApiRoutes.Token, new TokenRequest(audience), ProtocolJsonContext.Default.TokenRequest,
            ProtocolJsonContext.Default.TokenResponse, session.Token, cancellationToken);

    /// <summary>Turns the expected failures of <paramref name="work"/> into agent errors; forgets a session the server ended.</summary>
    private async Task<AgentResponse> AnswerAsync(Session session, Func<Task<AgentResponse>> work)
    {
        try
        {
            return await work();
        }
        catch (CliException e) when (e.ExitCode == ExitCodes.NotLoggedIn)
        {
            lock (_gate) if (ReferenceEquals(_session, session)) _session = null;
            _credentials.Clear();
            return AgentResponse.Fail(AgentErrors.NotLoggedIn, e.Message + ": run 'vouch login'");
        }
        catch (CliException e)
        {
            return AgentResponse.Fail(e.ExitCode switch
            {
                ExitCodes.ServerUnreachable => AgentErrors.ServerUnreachable,
                ExitCodes.AwsRefused => AgentErrors.AwsRefused,
                _ => AgentErrors.Refused,
            }, e.Message);
        }
    }
}
