using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Vouch.FidoSimulator.Attestation;

/// <summary>
/// A test root → intermediate → attestation leaf, all ES256 (P-256), valid from a day ago for ten years. The leaf
/// follows the packed attestation rules (OU "Authenticator Attestation", not a CA, the AAGUID extension).
/// </summary>
public sealed class AttestationChain : IDisposable
{
    /// <summary>id-fido-gen-ce-aaguid: the attestation certificate names the AAGUID it vouches for.</summary>
    private const string AaguidExtensionOid = "1.3.6.1.4.1.45724.1.1.4";

    private AttestationChain(X509Certificate2 root, X509Certificate2 intermediate, X509Certificate2 leaf, ECDsa leafKey)
    {
        Root = root;
        Intermediate = intermediate;
        Leaf = leaf;
        LeafKey = leafKey;
    }

    public X509Certificate2 Root { get; }
    public X509Certificate2 Intermediate { get; }
    public X509Certificate2 Leaf { get; }

    /// <summary>The key that signs attestation statements.</summary>
    public ECDsa LeafKey { get; }

    /// <summary>The certificates the authenticator presents in <c>x5c</c>: the leaf, then the intermediate.</summary>
    public IReadOnlyList<byte[]> X5c => [Leaf.RawData, Intermediate.RawData];

    public string RootPem => Root.ExportCertificatePem();

    public static AttestationChain Create(Guid aaguid, TimeProvider timeProvider)
    {
        var notBefore = timeProvider.GetUtcNow().AddDays(-1);
        var notAfter = notBefore.AddYears(10);

        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = CaRequest("CN=Vouch FIDO Simulator Test Root, O=Vouch Test", rootKey, pathLength: 1);
        using var root = rootRequest.CreateSelfSigned(notBefore, notAfter);

        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var intermediateRequest = CaRequest("CN=Vouch FIDO Simulator Test Intermediate, O=Vouch Test", intermediateKey, pathLength: 0);
        intermediateRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        using var intermediatePublic = intermediateRequest.Create(root, notBefore, notAfter, SerialNumber());
        using var intermediate = intermediatePublic.CopyWithPrivateKey(intermediateKey);

        var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest(
            "CN=Vouch FIDO Simulator Attestation, OU=Authenticator Attestation, O=Vouch Test, C=US", leafKey, HashAlgorithmName.SHA256);
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        leafRequest.CertificateExtensions.Add(new X509Extension(AaguidExtensionOid, AaguidExtensionValue(aaguid), critical: false));
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(intermediate, true, false));
        var leaf = leafRequest.Create(intermediate, notBefore, notAfter, SerialNumber());

        return new AttestationChain(
            X509CertificateLoader.LoadCertificate(root.RawData), X509CertificateLoader.LoadCertificate(intermediate.RawData), leaf, leafKey);
    }

    public void Dispose()
    {
        Root.Dispose();
        Intermediate.Dispose();
        Leaf.Dispose();
        LeafKey.Dispose();
    }

    private static CertificateRequest CaRequest(string subject, ECDsa key, int pathLength)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, pathLength, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request;
    }

    /// <summary>The extension's value is an OCTET STRING holding the 16 AAGUID bytes (big-endian, as in authData).</summary>
    private static byte[] AaguidExtensionValue(Guid aaguid)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteOctetString(aaguid.ToByteArray(bigEndian: true));
        return writer.Encode();
    }

    private static byte[] SerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        return serial;
    }
}
