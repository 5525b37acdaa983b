using System.Security.Cryptography;
using Vouch.Server.Secrets;

namespace Vouch.Server.Audit;

/// <summary>
/// The key that chains audit records with HMAC-SHA256: derived from the key-encryption key with HKDF-SHA256
/// (info <see cref="Label"/>), so the key-encryption key itself only ever seals signing keys. Someone who can write
/// to the database but does not hold the key-encryption key cannot recompute the chain.
/// </summary>
public sealed class AuditKey : IDisposable
{
    /// <summary>The HKDF info that makes this key distinct from any other key derived from the key-encryption key.</summary>
    public const string Label = "vouch audit-log hmac-sha256 v2";

    private readonly byte[] _key;

    public AuditKey(KeyEncryptionKey keyEncryptionKey)
    {
        _key = keyEncryptionKey.DeriveKey(Label);
        KeyEncryptionKeyId = keyEncryptionKey.Id;
    }

    /// <summary>The id of the key-encryption key this key comes from, stored with each keyed record.</summary>
    public string KeyEncryptionKeyId { get; }

    /// <summary>Writes the HMAC-SHA256 of <paramref name="message"/> under this key into <paramref name="mac"/> (32 bytes).</summary>
    internal void Hmac(ReadOnlySpan<byte> message, Span<byte> mac) => HMACSHA256.HashData(_key, message, mac);

    public void Dispose() => CryptographicOperations.ZeroMemory(_key);
}
