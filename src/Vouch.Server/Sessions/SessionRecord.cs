namespace Vouch.Server.Sessions;

/// <summary>An 8-hour login session. Only the SHA-256 of its bearer token is stored.</summary>
public sealed class SessionRecord
{
    public required Guid Id { get; init; }

    /// <summary>Lowercase hex SHA-256 of the session token; unique.</summary>
    public required string TokenHash { get; init; }

    public required Guid UserId { get; init; }

    /// <summary>One of <see cref="SessionKinds"/>: who holds the session (the CLI's agent, or a browser's cookie).</summary>
    public string Kind { get; init; } = SessionKinds.Cli;
    public required byte[] CredentialId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Fixed at creation: sessions are never extended.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    public DateTimeOffset? RevokedAt { get; set; }
    public string? RevokedBy { get; set; }
}

/// <summary>Who holds a session. A session of one kind is never accepted as the other.</summary>
public static class SessionKinds
{
    /// <summary>The CLI's agent holds it as a bearer token for the JSON API.</summary>
    public const string Cli = "cli";

    /// <summary>A browser holds it inside its sign-in cookie; the JSON API refuses it.</summary>
    public const string Browser = "browser";
}
