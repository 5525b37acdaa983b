using System.Threading.RateLimiting;

namespace Vouch.Server.Sessions;

/// <summary>A fixed one-minute window of <see cref="SessionLimits.RequestsPerMinute"/> requests for each session.</summary>
public sealed class SessionRateLimiter(SessionLimits options) : IDisposable
{
    private readonly PartitionedRateLimiter<Guid> _limiter = PartitionedRateLimiter.Create<Guid, Guid>(session =>
        RateLimitPartition.GetFixedWindowLimiter(session, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.RequestsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0,
        }));

    /// <summary>A lease for one request of <paramref name="sessionId"/>; not acquired when the session is over its limit.</summary>
    public RateLimitLease Acquire(Guid sessionId) => _limiter.AttemptAcquire(sessionId);

    public void Dispose() => _limiter.Dispose();
}
