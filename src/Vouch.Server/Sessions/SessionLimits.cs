namespace Vouch.Server.Sessions;

/// <summary>How much one session may ask: <see cref="RequestsPerMinute"/> (default 300).</summary>
public sealed record SessionLimits
{
    /// <summary>
    /// Requests a session may make a minute (tokens, session checks, logout), counted only once the session is
    /// known good, so that strangers sending junk bearers use up nobody's allowance.
    /// </summary>
    public int RequestsPerMinute { get; init; } = 300;

    /// <summary>The limits for <paramref name="requestsPerMinute"/>, or null with a problem that names the setting.</summary>
    internal static SessionLimits? Resolve(int requestsPerMinute, List<Problem> errors)
    {
        if (requestsPerMinute is >= 1 and <= 100_000) return new SessionLimits { RequestsPerMinute = requestsPerMinute };
        errors.Add(SettingProblem.Of($"token rate limit {SettingNames.TokenRateLimit} must be 1 to 100000 requests a minute, not {requestsPerMinute}"));
        return null;
    }
}
