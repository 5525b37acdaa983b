namespace Vouch.Server.WebAuthn;

/// <summary>
/// A WebAuthn ceremony in progress. The challenge lives only here, server-side; a ceremony is consumed by the
/// first attempt to finish it (success or failure) and expires after <see cref="CeremonyKinds.Lifetime"/>.
/// </summary>
public sealed class CeremonyRecord
{
    public required Guid Id { get; init; }

    /// <summary><see cref="CeremonyKinds.Enroll"/> or <see cref="CeremonyKinds.Login"/>.</summary>
    public required string Kind { get; init; }

    /// <summary>The options sent to the client (with the challenge), as Fido2 JSON.</summary>
    public required string Options { get; init; }

    public Guid? InviteId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public DateTimeOffset? ConsumedAt { get; set; }
}

public static class CeremonyKinds
{
    public const string Enroll = "enroll";
    public const string Login = "login";

    /// <summary>How long a client has to answer a challenge (3 minutes: touch, PIN, and a slow network).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(3);
}
