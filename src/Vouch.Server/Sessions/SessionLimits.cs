namespace Vouch.Server.Sessions;

/// <summary>How much one session may ask: <see cref="RequestsPerMinute"/> (default 300).</summary>
public sealed record SessionLimits
{
    /// <summary>
    /// Requests a session may make a minute (tokens, session checks, logout), counted only once the session is
    /// known good, so that strangers sending junk bearers use up nobody's allowance.
    /// </summary>
    public int RequestsPerMinute { get; init; } = 300;
}
