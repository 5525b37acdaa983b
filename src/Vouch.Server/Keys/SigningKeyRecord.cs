namespace Vouch.Server.Keys;

/// <summary>
/// A stored ES256 signing key. It signs from <see cref="ActivatesAt"/> until the next generation activates; its
/// private key is stored only sealed by the key-encryption key.
/// </summary>
public sealed class SigningKeyRecord : IScheduledKey
{
    /// <summary>The RFC 7638 thumbprint of the public key, base64url.</summary>
    public required string Kid { get; init; }

    /// <summary>1 for the first key, then one more per key; unique, so that only one rotator can add the next key.</summary>
    public required int Generation { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset ActivatesAt { get; set; }

    /// <summary>A self-signed X.509 certificate (DER) for the public key, published as <c>x5c</c>.</summary>
    public required byte[] Certificate { get; init; }

    /// <summary>The PKCS#8 private key sealed with AES-256-GCM by the key-encryption key, labelled with the kid.</summary>
    public required byte[] SealedPrivateKey { get; init; }

    /// <summary>The id of the key-encryption key that sealed <see cref="SealedPrivateKey"/>.</summary>
    public required string KeyEncryptionKeyId { get; init; }

    /// <summary>Optimistic concurrency token.</summary>
    public Guid Version { get; set; } = Guid.NewGuid();
}
