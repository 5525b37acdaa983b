using Vouch.Cli.Aws;

namespace Vouch.Cli.Agent;

/// <summary>
/// The agent's memory: the session (forgotten once it expires) with its <see cref="SessionCheck"/> and its own cache
/// of AWS credentials, and when the agent was last asked anything, which decides when it exits for idleness. A
/// session's cache is closed when the session ends in any way (<see cref="CredentialCache.Close"/>): a fetch still
/// under way then caches nothing, and its askers are told why. Safe to use from every connection at once.
/// </summary>
internal sealed class AgentState(TimeProvider time) : IDisposable
{
    /// <summary>What askers waiting for credentials are told when <c>vouch logout</c> ends the session.</summary>
    public const string LoggedOutMessage = "logged out while the AWS credentials were being fetched (none were kept): run 'vouch login'";

    private readonly Lock _gate = new();
    private AgentSession? _session;
    private SessionCheck? _check;
    private CredentialCache? _credentials;
    private EndedSession? _endedBecause;
    private DateTimeOffset _lastActive = time.GetUtcNow();

    /// <summary>The agent's clock.</summary>
    public TimeProvider Time => time;

    /// <summary>Records a request; the session, unless there is none or it has expired.</summary>
    public AgentSession? Touch()
    {
        var now = time.GetUtcNow();
        CredentialCache? expired;
        AgentSession? session;
        lock (_gate)
        {
            _lastActive = now;
            session = Current(now, out expired);
        }
        expired?.Close(Expired());
        return session;
    }

    /// <summary>
    /// Holds <paramref name="session"/> instead of any earlier one, whose credentials are forgotten. The server has
    /// just issued it, which counts as its first confirmation.
    /// </summary>
    public void Begin(AgentSession session)
    {
        CredentialCache? previous;
        lock (_gate)
        {
            previous = _credentials;
            (_session, _check, _credentials, _endedBecause) = (session, new SessionCheck(time, time.GetUtcNow()), new CredentialCache(time), null);
        }
        previous?.Close(new CliException(FailureKind.Failed,
            "a new 'vouch login' replaced the session while the AWS credentials were being fetched (none were kept): run the command again"));
    }

    /// <summary>Forgets the session and its credentials (<c>vouch logout</c>); a fetch under way keeps nothing.</summary>
    public void End()
    {
        CredentialCache? previous;
        lock (_gate)
        {
            previous = _credentials;
            (_session, _check, _credentials, _endedBecause) = (null, null, null, null);
        }
        previous?.Close(new CliException(FailureKind.NotLoggedIn, LoggedOutMessage));
    }

    /// <summary>
    /// Forgets <paramref name="ended"/> (the server said it ended, or its user is disabled) and its credentials unless
    /// another session has replaced it, and keeps <paramref name="because"/> as the answer to whoever asks for it next,
    /// until a login or logout: a disabled user's next request is told so, not merely "not logged in".
    /// <paramref name="failure"/> is what askers still waiting for its credentials are told.
    /// </summary>
    public void Forget(AgentSession ended, AgentResponse because, CliException failure)
    {
        CredentialCache? previous = null;
        lock (_gate)
        {
            if (ReferenceEquals(_session, ended))
            {
                previous = _credentials;
                // A disabled user's session is kept (dead: disabling revoked it on the server) only to ask whether the
                // account is still disabled (EndedSession).
                var disabled = failure.Kind == FailureKind.UserDisabled ? ended : null;
                (_session, _check, _credentials, _endedBecause) = (null, null, null, new EndedSession(because, disabled, time.GetUtcNow()));
            }
        }
        previous?.Close(failure);
    }

    /// <summary>Why the last session ended, when the server ended it; null after a login or logout.</summary>
    public EndedSession? EndedBecause
    {
        get { lock (_gate) return _endedBecause; }
    }

    /// <summary>
    /// Records the server's answer about <paramref name="ended"/>'s account: still disabled (or unknown: the server
    /// could not be reached) keeps the answer and notes when it was asked; enabled again drops it, so that "not logged
    /// in" is said instead. Nothing changes when a login or logout came in between.
    /// </summary>
    public void Rechecked(EndedSession ended, bool enabled)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (ReferenceEquals(_endedBecause, ended)) _endedBecause = enabled ? null : ended with { AskedAt = now };
        }
    }

    /// <summary>The confirmations of <paramref name="session"/>; null once it is no longer the session held.</summary>
    public SessionCheck? CheckOf(AgentSession session)
    {
        lock (_gate) return ReferenceEquals(_session, session) ? _check : null;
    }

    /// <summary>The AWS credentials cached for <paramref name="session"/>; null once it is no longer the session held.</summary>
    public CredentialCache? CredentialsOf(AgentSession session)
    {
        lock (_gate) return ReferenceEquals(_session, session) ? _credentials : null;
    }

    /// <summary>True when the agent has held no session and answered nothing for longer than <paramref name="limit"/>.</summary>
    public bool IsIdle(TimeSpan limit)
    {
        var now = time.GetUtcNow();
        CredentialCache? expired;
        bool idle;
        lock (_gate)
        {
            // Holding a session counts as activity: the agent stays while its user is logged in.
            if (Current(now, out expired) is not null) _lastActive = now;
            idle = now - _lastActive > limit;
        }
        expired?.Close(Expired());
        return idle;
    }

    /// <summary>The session unless it has expired; an expired one is dropped, and its cache given back for closing outside the lock.</summary>
    private AgentSession? Current(DateTimeOffset now, out CredentialCache? expired)
    {
        expired = null;
        if (_session is { } session && session.ExpiresAt <= now)
        {
            expired = _credentials;
            (_session, _check, _credentials) = (null, null, null);
        }
        return _session;
    }

    /// <summary>Closes the current session's cache (the agent stops).</summary>
    public void Dispose()
    {
        CredentialCache? current;
        lock (_gate) (current, _credentials) = (_credentials, null);
        current?.Dispose();
    }

    private static CliException Expired() => new(FailureKind.NotLoggedIn, "the session expired: run 'vouch login'");
}

/// <summary>
/// Why the server ended the last session: <see cref="Answer"/> is what the next asker is told. For a disabled account,
/// <see cref="Disabled"/> is that session, whose token asks the server (at most once per
/// <see cref="SessionCheck.Interval"/> after <see cref="AskedAt"/>) whether the account is still disabled.
/// </summary>
internal sealed record EndedSession(AgentResponse Answer, AgentSession? Disabled, DateTimeOffset AskedAt);
