using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.Tokens;
using Vouch.Protocol;
using Vouch.Server.Secrets;

namespace Vouch.Server.Keys;

/// <summary>
/// A signing key loaded in memory: its public JWK and, for keys that sign now or will, the credentials to sign.
/// A key is usable only if the configured key-encryption key opens it and its private key matches its certificate
/// and kid; an unusable key keeps its place in the schedule (so no other key signs in its time) but is never
/// published and never signs.
/// </summary>
public sealed class SigningKey : IScheduledKey, IDisposable
{
    private readonly ECDsa? _privateKey;
    private readonly PublicJsonWebKey? _jwk;

    private SigningKey(SigningKeyRecord record, PublicJsonWebKey? jwk, ECDsa? privateKey, string? problem)
    {
        Kid = record.Kid;
        Generation = record.Generation;
        CreatedAt = record.CreatedAt;
        ActivatesAt = record.ActivatesAt;
        _jwk = jwk;
        _privateKey = privateKey;
        Problem = problem;
        if (privateKey is not null)
            Credentials = new SigningCredentials(new ECDsaSecurityKey(privateKey) { KeyId = Kid }, SecurityAlgorithms.EcdsaSha256);
    }

    /// <summary>
    /// Opens <paramref name="record"/> with <paramref name="keyEncryptionKey"/> and checks it; keeps the private key
    /// only when <paramref name="forSigning"/>. Never throws for a key that cannot be used: see <see cref="Problem"/>.
    /// </summary>
    public static SigningKey Load(SigningKeyRecord record, KeyEncryptionKey keyEncryptionKey, bool forSigning)
    {
        var problem = Open(record, keyEncryptionKey, out var jwk, out var privateKey);
        if (problem is not null) return new SigningKey(record, null, null, problem);
        if (forSigning) return new SigningKey(record, jwk, privateKey, null);
        privateKey!.Dispose();
        return new SigningKey(record, jwk, null, null);
    }

    /// <summary>Why <paramref name="record"/> cannot be used with <paramref name="keyEncryptionKey"/>, or null if it can.</summary>
    public static string? Check(SigningKeyRecord record, KeyEncryptionKey keyEncryptionKey)
    {
        var problem = Open(record, keyEncryptionKey, out _, out var privateKey);
        privateKey?.Dispose();
        return problem;
    }

    private static string? Open(SigningKeyRecord record, KeyEncryptionKey keyEncryptionKey, out PublicJsonWebKey? jwk, out ECDsa? privateKey)
    {
        jwk = null;
        privateKey = null;
        if (record.KeyEncryptionKeyId != keyEncryptionKey.Id)
            return $"it was sealed with key-encryption key {record.KeyEncryptionKeyId}, not the configured {keyEncryptionKey.Id}";
        ECParameters publicParameters;
        try
        {
            using var certificate = X509CertificateLoader.LoadCertificate(record.Certificate);
            using var publicKey = certificate.GetECDsaPublicKey();
            if (publicKey is null) return "its certificate holds no EC key";
            publicParameters = publicKey.ExportParameters(false);
        }
        catch (CryptographicException)
        {
            return "its certificate cannot be read";
        }
        if (SigningKeyFactory.Thumbprint(publicParameters) != record.Kid) return "its certificate does not hold the key its kid names";

        byte[] pkcs8;
        try
        {
            pkcs8 = keyEncryptionKey.Open(record.SealedPrivateKey, record.Kid);
        }
        catch (CryptographicException)
        {
            return "its private key does not decrypt with the configured key-encryption key (altered, or sealed with another)";
        }
        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
            var q = ecdsa.ExportParameters(false).Q;
            if (!q.X.AsSpan().SequenceEqual(publicParameters.Q.X) || !q.Y.AsSpan().SequenceEqual(publicParameters.Q.Y))
            {
                ecdsa.Dispose();
                return "its private key does not match its certificate";
            }
        }
        catch (CryptographicException)
        {
            ecdsa.Dispose();
            return "its private key cannot be read";
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
        privateKey = ecdsa;
        jwk = new PublicJsonWebKey
        {
            Kid = record.Kid,
            X = Base64UrlEncoder.Encode(publicParameters.Q.X),
            Y = Base64UrlEncoder.Encode(publicParameters.Q.Y),
            X5c = [Convert.ToBase64String(record.Certificate)],
        };
        return null;
    }

    public string Kid { get; }
    public int Generation { get; }
    public DateTimeOffset CreatedAt { get; }
    public DateTimeOffset ActivatesAt { get; }

    /// <summary>Why this key cannot be used (it is then neither published nor used to sign); null when it can.</summary>
    public string? Problem { get; }

    public bool Usable => Problem is null;

    /// <summary>The public key as published; only usable keys have one.</summary>
    public PublicJsonWebKey Jwk => _jwk ?? throw new InvalidOperationException($"signing key {Kid} is not usable ({Problem}) and is never published");

    /// <summary>Null when the private key was not kept (keys that will never sign again) or the key is not usable.</summary>
    public SigningCredentials? Credentials { get; }

    public void Dispose() => _privateKey?.Dispose();
}
