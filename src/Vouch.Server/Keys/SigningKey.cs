using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.Tokens;
using Vouch.Protocol;

namespace Vouch.Server.Keys;

/// <summary>
/// A signing key loaded in memory: its public JWK and, for keys that sign now or will, the credentials to sign.
/// </summary>
public sealed class SigningKey : IScheduledKey, IDisposable
{
    private readonly ECDsa? _privateKey;

    public SigningKey(SigningKeyRecord record, KeyEncryptionKey? keyEncryptionKey)
    {
        Kid = record.Kid;
        Generation = record.Generation;
        CreatedAt = record.CreatedAt;
        ActivatesAt = record.ActivatesAt;
        using var certificate = X509CertificateLoader.LoadCertificate(record.Certificate);
        using var publicKey = certificate.GetECDsaPublicKey() ?? throw new CryptographicException($"key {Kid}: the certificate holds no EC key");
        var q = publicKey.ExportParameters(false).Q;
        Jwk = new PublicJsonWebKey
        {
            Kid = Kid,
            X = Base64UrlEncoder.Encode(q.X),
            Y = Base64UrlEncoder.Encode(q.Y),
            X5c = [Convert.ToBase64String(record.Certificate)],
        };

        if (keyEncryptionKey is null) return;
        var pkcs8 = keyEncryptionKey.Open(record.SealedPrivateKey, Kid);
        try
        {
            _privateKey = ECDsa.Create();
            _privateKey.ImportPkcs8PrivateKey(pkcs8, out _);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
        Credentials = new SigningCredentials(new ECDsaSecurityKey(_privateKey) { KeyId = Kid }, SecurityAlgorithms.EcdsaSha256);
    }

    public string Kid { get; }
    public int Generation { get; }
    public DateTimeOffset CreatedAt { get; }
    public DateTimeOffset ActivatesAt { get; }
    public PublicJsonWebKey Jwk { get; }

    /// <summary>Null when the private key was not loaded (keys that will never sign again).</summary>
    public SigningCredentials? Credentials { get; }

    public void Dispose() => _privateKey?.Dispose();
}
