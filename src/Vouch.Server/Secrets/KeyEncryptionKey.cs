using System.Security.Cryptography;
using System.Text;

namespace Vouch.Server.Secrets;

/// <summary>
/// The 256-bit key that encrypts signing keys at rest with AES-256-GCM. A sealed value is
/// <c>nonce (12) | ciphertext | tag (16)</c>, bound to a label (the key id) so that ciphertexts cannot be swapped.
/// </summary>
public sealed class KeyEncryptionKey : IDisposable
{
    public const int SizeInBytes = 32;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    // AesGcm instances are not safe for concurrent use: each operation makes its own from these bytes.
    private readonly byte[] _key;

    public KeyEncryptionKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != SizeInBytes) throw new ArgumentException($"a key-encryption key is {SizeInBytes} bytes", nameof(key));
        _key = key.ToArray();
        // An id that names the key without revealing it, stored with each ciphertext to explain a mismatch.
        Span<byte> hash = stackalloc byte[32];
        HMACSHA256.HashData(key, "vouch key-encryption-key id"u8, hash);
        Id = Convert.ToHexStringLower(hash[..8]);
    }

    /// <summary>A non-secret identifier of this key (16 hex digits).</summary>
    public string Id { get; }

    public static KeyEncryptionKey Generate() => new(RandomNumberGenerator.GetBytes(SizeInBytes));

    /// <summary>
    /// A 32-byte key for another purpose, derived with HKDF-SHA256 (no salt, <paramref name="label"/> as info), so
    /// that this key itself is only ever used to seal signing keys. Distinct labels give unrelated keys.
    /// </summary>
    public byte[] DeriveKey(string label) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, SizeInBytes, salt: [], info: Encoding.UTF8.GetBytes(label));

    public byte[] Seal(ReadOnlySpan<byte> plaintext, string label)
    {
        var sealedValue = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = sealedValue.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plaintext, sealedValue.AsSpan(NonceSize, plaintext.Length),
            sealedValue.AsSpan(NonceSize + plaintext.Length), Encoding.UTF8.GetBytes(label));
        return sealedValue;
    }

    /// <summary>Decrypts <paramref name="sealedValue"/>; throws <see cref="CryptographicException"/> if it was altered.</summary>
    public byte[] Open(ReadOnlySpan<byte> sealedValue, string label)
    {
        if (sealedValue.Length < NonceSize + TagSize) throw new CryptographicException("sealed value too short");
        var plaintext = new byte[sealedValue.Length - NonceSize - TagSize];
        using var aes = new AesGcm(_key, TagSize);
        aes.Decrypt(sealedValue[..NonceSize], sealedValue.Slice(NonceSize, plaintext.Length),
            sealedValue[^TagSize..], plaintext, Encoding.UTF8.GetBytes(label));
        return plaintext;
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_key);
}
