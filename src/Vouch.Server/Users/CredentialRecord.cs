namespace Vouch.Server.Users;

/// <summary>An enrolled security key: its credential id, COSE public key and the last sign counter seen.</summary>
public sealed class CredentialRecord
{
    /// <summary>The WebAuthn credential id.</summary>
    public required byte[] Id { get; init; }

    public required Guid UserId { get; init; }

    /// <summary>The credential public key, COSE-encoded.</summary>
    public required byte[] PublicKey { get; init; }

    /// <summary>The authenticator's signature counter after the last accepted ceremony.</summary>
    public required long SignCount { get; set; }

    public required Guid AaGuid { get; init; }

    /// <summary>The name its owner gave the key on the account page (at most 64 characters), or null.</summary>
    public string? Name { get; set; }
    public required string AttestationFormat { get; init; }

    /// <summary>
    /// Whether enrollment proved this a hardware key of a trusted vendor (its attestation chained to the policy's
    /// roots); only then do tokens say <c>amr</c> <c>hwk</c>. False under <c>--attestation any</c> and for keys
    /// enrolled before this was recorded.
    /// </summary>
    public bool HardwareAttested { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastUsedAt { get; set; }

    /// <summary>When an administrator revoked the key (lost or stolen): it can no longer log in.</summary>
    public DateTimeOffset? RevokedAt { get; set; }

    public string? RevokedBy { get; set; }

    /// <summary>
    /// When a login presented a sign counter that did not move forward (the mark of a copied key): the key cannot
    /// log in until an administrator unlocks or revokes it.
    /// </summary>
    public DateTimeOffset? LockedAt { get; set; }

    /// <summary>Optimistic concurrency token: two logins racing on one counter cannot both land.</summary>
    public Guid Version { get; set; } = Guid.NewGuid();
}
