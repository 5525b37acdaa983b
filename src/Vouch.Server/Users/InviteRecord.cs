namespace Vouch.Server.Users;

/// <summary>A one-time enrollment code for one email. Only the code's SHA-256 is stored.</summary>
public sealed class InviteRecord
{
    public required Guid Id { get; init; }

    /// <summary>Lowercase hex SHA-256 of the code; unique.</summary>
    public required string CodeHash { get; init; }

    public required string Email { get; init; }
    public required string Domain { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public required string CreatedBy { get; init; }

    /// <summary>When an enrollment used it; an invite is used at most once.</summary>
    public DateTimeOffset? UsedAt { get; set; }

    /// <summary>When an administrator revoked it before use; a revoked invite is refused like a used one.</summary>
    public DateTimeOffset? RevokedAt { get; set; }

    public string? RevokedBy { get; set; }
}
