using System.Security.Cryptography;

namespace Vouch.FidoSimulator.Ctap;

/// <summary>
/// A PIN/UV auth protocol (CTAP 2.1 §6.5.6, §6.5.7): the authenticator's ECDH P-256 key agreement key and the
/// shared-secret, encrypt, decrypt and authenticate operations. Public so a test can play the platform's side.
/// </summary>
public abstract class PinUvAuthProtocol : IDisposable
{
    private ECDiffieHellman _keyAgreementKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

    public abstract int Version { get; }

    /// <summary>The public key the platform gets from getKeyAgreement.</summary>
    public ECParameters KeyAgreementPublicKey => _keyAgreementKey.ExportParameters(includePrivateParameters: false);

    /// <summary>A new key agreement key: at power-up and after a wrong PIN, so old shared secrets stop working.</summary>
    public void RegenerateKeyAgreementKey()
    {
        _keyAgreementKey.Dispose();
        _keyAgreementKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
    }

    /// <summary>The shared secret with the platform's public key; <see langword="null"/> when the point is not on P-256.</summary>
    public byte[]? SharedSecretWith(ECParameters platformKey) => SharedSecret(_keyAgreementKey, platformKey);

    /// <summary>ECDH between <paramref name="own"/> and <paramref name="peer"/>, then the protocol's KDF over the x coordinate.</summary>
    public byte[]? SharedSecret(ECDiffieHellman own, ECParameters peer)
    {
        try
        {
            using var peerKey = ECDiffieHellman.Create(peer);
            var z = own.DeriveRawSecretAgreement(peerKey.PublicKey);
            return Kdf(z);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    public abstract byte[] Encrypt(byte[] key, byte[] plaintext);

    /// <summary>The plaintext, or <see langword="null"/> when the ciphertext has the wrong length.</summary>
    public abstract byte[]? Decrypt(byte[] key, byte[] ciphertext);

    public abstract byte[] Authenticate(byte[] key, byte[] message);

    public bool Verify(byte[] key, byte[] message, byte[] signature) =>
        CryptographicOperations.FixedTimeEquals(Authenticate(key, message), signature);

    public void Dispose()
    {
        _keyAgreementKey.Dispose();
        GC.SuppressFinalize(this);
    }

    protected abstract byte[] Kdf(byte[] z);

    protected static byte[] AesCbc(byte[] key, byte[] iv, byte[] data, bool encrypt)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        return encrypt
            ? aes.EncryptCbc(data, iv, PaddingMode.None)
            : aes.DecryptCbc(data, iv, PaddingMode.None);
    }
}

/// <summary>Protocol 1: key SHA-256(Z), AES-256-CBC with a zero IV, the first 16 bytes of HMAC-SHA-256.</summary>
public sealed class PinUvAuthProtocolOne : PinUvAuthProtocol
{
    private static readonly byte[] ZeroIv = new byte[16];

    public override int Version => 1;

    public override byte[] Encrypt(byte[] key, byte[] plaintext) => AesCbc(key, ZeroIv, plaintext, encrypt: true);

    public override byte[]? Decrypt(byte[] key, byte[] ciphertext) =>
        ciphertext.Length % 16 == 0 && ciphertext.Length > 0 ? AesCbc(key, ZeroIv, ciphertext, encrypt: false) : null;

    public override byte[] Authenticate(byte[] key, byte[] message) => HMACSHA256.HashData(key, message)[..16];

    protected override byte[] Kdf(byte[] z) => SHA256.HashData(z);
}

/// <summary>
/// Protocol 2: HKDF-SHA-256 (zero salt) gives a 32-byte HMAC key then a 32-byte AES key; AES-256-CBC with a random
/// IV sent before the ciphertext; the whole 32-byte HMAC-SHA-256.
/// </summary>
public sealed class PinUvAuthProtocolTwo : PinUvAuthProtocol
{
    private static readonly byte[] Salt = new byte[32];

    public override int Version => 2;

    public override byte[] Encrypt(byte[] key, byte[] plaintext)
    {
        var iv = RandomNumberGenerator.GetBytes(16);
        return [.. iv, .. AesCbc(AesKey(key), iv, plaintext, encrypt: true)];
    }

    public override byte[]? Decrypt(byte[] key, byte[] ciphertext) =>
        ciphertext.Length % 16 == 0 && ciphertext.Length > 16
            ? AesCbc(AesKey(key), ciphertext[..16], ciphertext[16..], encrypt: false)
            : null;

    /// <summary>With a shared secret the HMAC key is its first half; a pinUvAuthToken (32 bytes) is used whole.</summary>
    public override byte[] Authenticate(byte[] key, byte[] message) => HMACSHA256.HashData(key[..32], message);

    protected override byte[] Kdf(byte[] z) =>
    [
        .. HKDF.DeriveKey(HashAlgorithmName.SHA256, z, 32, Salt, "CTAP2 HMAC key"u8.ToArray()),
        .. HKDF.DeriveKey(HashAlgorithmName.SHA256, z, 32, Salt, "CTAP2 AES key"u8.ToArray()),
    ];

    private static byte[] AesKey(byte[] sharedSecret) => sharedSecret[32..];
}
