using Vouch.Cli.Aws;

namespace Vouch.Cli.Agent;

/// <summary>
/// The agent's memory: the session (forgotten once it expires) and its <see cref="SessionCheck"/>, the AWS
/// credentials cached for it, and when the agent was last asked anything, which decides when it exits for idleness.
/// Safe to use from every connection at once.
/// </summary>
internal sealed class AgentState(TimeProvider time)
{
    private readonly Lock _gate = new();
    private AgentSession? _session;
    private SessionCheck? _check;
    private AgentResponse? _endedBecause;
    private DateTimeOffset _lastActive = time.GetUtcNow();

    /// <summary>AWS credentials for the current session; cleared whenever the session changes or ends.</summary>
    public CredentialCache Credentials { get; } = new(time);

    /// <summary>Records a request; the session, unless there is none or it has expired.</summary>
    public AgentSession? Touch()
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            _lastActive = now;
            return Current(now);
        }
    }

    /// <summary>
    /// Holds <paramref name="session"/> instead of any earlier one, whose credentials are forgotten. The server has
    /// just issued it, which counts as its first confirmation.
    /// </summary>
    public void Begin(AgentSession session)
    {
        lock (_gate)
        {
            _session = session;
            _check = new SessionCheck(time, time.GetUtcNow());
            _endedBecause = null;
        }
        Credentials.Clear();
    }

    /// <summary>Forgets the session and its credentials.</summary>
    public void End()
    {
        lock (_gate) (_session, _check, _endedBecause) = (null, null, null);
        Credentials.Clear();
    }

    /// <summary>
    /// Forgets <paramref name="ended"/> (the server said it ended, or its user is disabled) unless another session has
    /// replaced it, and keeps <paramref name="because"/> as the answer to whoever asks for it next, until a login or
    /// logout: a disabled user's next request is told so, not merely "not logged in".
    /// </summary>
    public void Forget(AgentSession ended, AgentResponse because)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_session, ended)) (_session, _check, _endedBecause) = (null, null, because);
        }
        Credentials.Clear();
    }

    /// <summary>Why the last session ended, when the server ended it; null after a login or logout.</summary>
    public AgentResponse? EndedBecause
    {
        get { lock (_gate) return _endedBecause; }
    }

    /// <summary>The confirmations of <paramref name="session"/>; null once it is no longer the session held.</summary>
    public SessionCheck? CheckOf(AgentSession session)
    {
        lock (_gate) return ReferenceEquals(_session, session) ? _check : null;
    }

    /// <summary>True when the agent has held no session and answered nothing for longer than <paramref name="limit"/>.</summary>
    public bool IsIdle(TimeSpan limit)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            // Holding a session counts as activity: the agent stays while its user is logged in.
            if (Current(now) is not null) _lastActive = now;
            return now - _lastActive > limit;
        }
    }

    private AgentSession? Current(DateTimeOffset now)
    {
        if (_session is { } session && session.ExpiresAt <= now) (_session, _check) = (null, null);
        return _session;
    }
}
