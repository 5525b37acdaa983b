using System.Security.Cryptography;

namespace Vouch.Server.Secrets;

/// <summary>
/// The configured key-encryption key is not the one the stored state was sealed or keyed with. The subject names
/// what was made with the other key and ends in its verb ("signing key X was sealed with").
/// </summary>
public sealed class KeyEncryptionKeyMismatchException(string subject, string storedKekId, string configuredKekId)
    : CryptographicException(
        $"{subject} key-encryption key {storedKekId}, but the configured key-encryption key " +
        $"({KeyEncryptionKeyLoader.Settings}) is {configuredKekId}: " +
        "configure the key-encryption key this database was first used with; nothing was changed")
{
    public string StoredKeyEncryptionKeyId { get; } = storedKekId;
    public string ConfiguredKeyEncryptionKeyId { get; } = configuredKekId;
}
