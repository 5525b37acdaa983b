using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Vouch.Testing;

/// <summary>Attestation certificates for tests: a vendor root, optionally an intermediate, and a FIDO-shaped leaf.</summary>
public static class AttestationChains
{
    /// <summary>A root CA and an attestation certificate (with its private key) directly under it.</summary>
    public static (X509Certificate2 Root, X509Certificate2 Attestation) Create(string vendor)
    {
        var root = Root(vendor);
        return (root, Leaf(vendor, root));
    }

    /// <summary>A root, an intermediate CA under it, and an attestation certificate under the intermediate.</summary>
    public static (X509Certificate2 Root, X509Certificate2 Intermediate, X509Certificate2 Attestation) CreateWithIntermediate(string vendor)
    {
        var root = Root(vendor);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={vendor} FIDO Attestation A 1", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var intermediate = request.Create(root, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(8), RandomNumberGenerator.GetBytes(8));
        using var signer = intermediate.CopyWithPrivateKey(key);
        return (root, X509CertificateLoader.LoadCertificate(intermediate.RawData), Leaf(vendor, signer));
    }

    private static X509Certificate2 Root(string vendor)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={vendor} Root CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
    }

    /// <summary>An attestation certificate shaped as FIDO requires for <c>packed</c> (OU, C, O, CN; not a CA).</summary>
    private static X509Certificate2 Leaf(string vendor, X509Certificate2 issuer)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"C=SE, O={vendor}, OU=Authenticator Attestation, CN={vendor} EE", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        using var leaf = request.Create(issuer, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5), RandomNumberGenerator.GetBytes(8));
        return leaf.CopyWithPrivateKey(key);
    }
}
