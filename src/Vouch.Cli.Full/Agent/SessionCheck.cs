namespace Vouch.Cli.Agent;

/// <summary>
/// Whether the server still honours one session, so that a user who was disabled or whose session was revoked is
/// not served cached AWS credentials. The server is asked at most once per <see cref="Interval"/> (1 s), and every
/// asker meanwhile shares that one question. When the server cannot be reached, the session counts as confirmed
/// while its last confirmation is younger than <see cref="OfflineGrace"/> (5 minutes): a short outage does not
/// stop work, a long one does not keep a cut-off user going.
/// </summary>
internal sealed class SessionCheck(TimeProvider time, DateTimeOffset confirmedAt)
{
    /// <summary>A confirmation younger than this is not asked again.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>How long after its last confirmation a session counts as confirmed while the server cannot be reached.</summary>
    public static readonly TimeSpan OfflineGrace = TimeSpan.FromMinutes(5);

    private readonly Lock _gate = new();
    private DateTimeOffset _confirmedAt = confirmedAt;
    private Task? _asking;

    /// <summary>Records that the server honoured the session just now (it issued a token for it, say).</summary>
    public void Confirmed()
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (now > _confirmedAt) _confirmedAt = now;
        }
    }

    /// <summary>
    /// Completes when the session is confirmed: recently, by <paramref name="ask"/> now, or within the offline grace
    /// while <paramref name="ask"/> fails with <see cref="FailureKind.ServerUnreachable"/>; in that last case it returns
    /// why the server could not confirm it (null otherwise), for <c>vouch status</c> to say at once. Past the grace that
    /// failure is thrown; any other failure of <paramref name="ask"/> (the server refused the session) is thrown to
    /// every asker that shared it.
    /// </summary>
    public async Task<CliException?> EnsureAsync(Func<Task> ask)
    {
        Task asking;
        lock (_gate)
        {
            if (time.GetUtcNow() - _confirmedAt <= Interval) return null;
            // Started on the thread pool: it cannot finish (and clear _asking) before this lock is released.
            asking = _asking ??= Task.Run(() => AskAsync(ask));
        }
        try
        {
            await asking;
            return null;
        }
        catch (CliException e) when (e.Kind == FailureKind.ServerUnreachable)
        {
            DateTimeOffset last;
            lock (_gate) last = _confirmedAt;
            var age = time.GetUtcNow() - last;
            var unconfirmed = new CliException(FailureKind.ServerUnreachable,
                $"{e.Message} (the agent serves cached credentials without the server for {OfflineGrace.TotalMinutes:0} minutes after it last confirmed your session; that was {age.TotalMinutes:0} minutes ago)");
            return age <= OfflineGrace ? unconfirmed : throw unconfirmed;
        }
    }

    private async Task AskAsync(Func<Task> ask)
    {
        try
        {
            await ask().ConfigureAwait(false);
            Confirmed();
        }
        finally
        {
            lock (_gate) _asking = null;
        }
    }
}
