using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Vouch.Testing;

/// <summary>Attestation certificates for tests: a vendor root and a FIDO-shaped attestation certificate under it.</summary>
public static class AttestationChains
{
    /// <summary>Makes a CA and an attestation certificate under it, shaped as FIDO requires for <c>packed</c>.</summary>
    public static (X509Certificate2 Root, X509Certificate2 Attestation) Create(string vendor)
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest($"CN={vendor} Root CA", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var root = rootRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest(
            $"C=SE, O={vendor}, OU=Authenticator Attestation, CN={vendor} EE", leafKey, HashAlgorithmName.SHA256);
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        using var leaf = leafRequest.Create(root, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5), RandomNumberGenerator.GetBytes(8));
        return (root, leaf.CopyWithPrivateKey(leafKey));
    }

}
