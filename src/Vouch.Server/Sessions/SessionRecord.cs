namespace Vouch.Server.Sessions;

/// <summary>An 8-hour login session. Only the SHA-256 of its bearer token is stored.</summary>
public sealed class SessionRecord
{
    public required Guid Id { get; init; }

    /// <summary>Lowercase hex SHA-256 of the session token; unique.</summary>
    public required string TokenHash { get; init; }

    public required Guid UserId { get; init; }
    public required byte[] CredentialId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Fixed at creation: sessions are never extended.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    public DateTimeOffset? RevokedAt { get; set; }
    public string? RevokedBy { get; set; }
}
