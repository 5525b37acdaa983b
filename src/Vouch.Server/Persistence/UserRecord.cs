namespace Vouch.Server.Persistence;

/// <summary>A person who may log in: created by enrolling with an invite.</summary>
public sealed class UserRecord
{
    public required Guid Id { get; init; }

    /// <summary>The verified email, lowercase; unique. It becomes the token's <c>sub</c>.</summary>
    public required string Email { get; init; }

    /// <summary>The organization domain (<c>hd</c>), from the invite.</summary>
    public required string Domain { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When an administrator disabled the user (no login, token or enrollment); null while enabled.</summary>
    public DateTimeOffset? DisabledAt { get; set; }

    /// <summary>
    /// An administrator may use <c>/admin</c>. The first user to enroll is one; <c>vouch-server users promote</c>
    /// makes others, <c>users demote</c> undoes it (never for the last administrator).
    /// </summary>
    public bool IsAdmin { get; set; }

    /// <summary>Who disabled the user (<c>admin:&lt;os user&gt;</c>).</summary>
    public string? DisabledBy { get; set; }
}
