using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.IdentityModel.Tokens;
using Vouch.Server.Secrets;

namespace Vouch.Server.Keys;

/// <summary>Generates P-256 signing keys: the sealed private key, a self-signed certificate and the kid.</summary>
public sealed class SigningKeyFactory(KeyEncryptionKey keyEncryptionKey)
{
    /// <summary>The id of the key-encryption key that seals the keys this factory makes.</summary>
    public string KeyEncryptionKeyId => keyEncryptionKey.Id;

    /// <summary>Why <paramref name="record"/> could never sign with this factory's key-encryption key, or null if it can.</summary>
    public string? Check(SigningKeyRecord record) => SigningKey.Check(record, keyEncryptionKey);

    public SigningKeyRecord Create(int generation, DateTimeOffset now, DateTimeOffset activatesAt)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
        var kid = Thumbprint(parameters);

        // RGW insists on an x5c; nobody validates its chain, so a self-signed certificate for the key is enough.
        var request = new CertificateRequest($"CN=Vouch signing key {kid}", ecdsa, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        using var certificate = request.CreateSelfSigned(now.AddHours(-1), now.AddYears(5));

        var pkcs8 = ecdsa.ExportPkcs8PrivateKey();
        try
        {
            return new SigningKeyRecord
            {
                Kid = kid,
                Generation = generation,
                CreatedAt = now,
                ActivatesAt = activatesAt,
                Certificate = certificate.RawData,
                SealedPrivateKey = keyEncryptionKey.Seal(pkcs8, kid),
                KeyEncryptionKeyId = keyEncryptionKey.Id,
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>The RFC 7638 JWK thumbprint (SHA-256, base64url) of a P-256 public key.</summary>
    public static string Thumbprint(ECParameters publicKey)
    {
        var canonical = $"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{Base64UrlEncoder.Encode(publicKey.Q.X)}\",\"y\":\"{Base64UrlEncoder.Encode(publicKey.Q.Y)}\"}}";
        return Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }
}
