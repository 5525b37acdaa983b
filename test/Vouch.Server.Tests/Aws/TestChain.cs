using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Vouch.Server.Tests.Aws;

/// <summary>
/// root → intermediate → leaf, as a company's CA would issue; the leaf is for 127.0.0.1 and <see cref="Host"/>, and
/// carries its private key (a server can present it).
/// </summary>
internal sealed class TestChain : IDisposable
{
    /// <summary>The public-looking name the leaf is also for; tests route it to a loopback port.</summary>
    public const string Host = "vouch.example.com";

    public required X509Certificate2 Root { get; init; }
    public required X509Certificate2 Intermediate { get; init; }
    public required X509Certificate2 Leaf { get; init; }
    public required ECDsa LeafKey { get; init; }

    public static TestChain Create()
    {
        var now = DateTimeOffset.UtcNow;
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=Vouch Test Root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var root = rootRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var intermediateRequest = new CertificateRequest("CN=Vouch Test Intermediate", intermediateKey, HashAlgorithmName.SHA256);
        intermediateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        using var intermediatePublic = intermediateRequest.Create(root, now.AddDays(-1), now.AddMonths(6), [1, 2, 3]);
        var intermediate = intermediatePublic.CopyWithPrivateKey(intermediateKey);
        var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=127.0.0.1", leafKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddDnsName(Host);
        leafRequest.CertificateExtensions.Add(names.Build());
        using var leafPublic = leafRequest.Create(intermediate, now.AddDays(-1), now.AddMonths(1), [4, 5, 6]);
        var leaf = leafPublic.CopyWithPrivateKey(leafKey);
        return new TestChain { Root = root, Intermediate = intermediate, Leaf = leaf, LeafKey = leafKey };
    }

    /// <summary>Writes what a server is configured with: the leaf then the intermediate, and the key; returns both paths.</summary>
    public (string Certificate, string Key) WritePem(string directory)
    {
        var certificate = Path.Combine(directory, "chain.pem");
        var key = Path.Combine(directory, "key.pem");
        File.WriteAllText(certificate, Leaf.ExportCertificatePem() + "\n" + Intermediate.ExportCertificatePem());
        File.WriteAllText(key, LeafKey.ExportPkcs8PrivateKeyPem());
        return (certificate, key);
    }

    public void Dispose()
    {
        Root.Dispose();
        Intermediate.Dispose();
        Leaf.Dispose();
        LeafKey.Dispose();
    }
}
