using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Vouch.Cli.Tests.Tls;

/// <summary>Certificates made for one test: a test CA, and server certificates it issues or that sign themselves.</summary>
internal static class TestCertificates
{
    public static X509Certificate2 Authority(string name = "CN=Vouch Test CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-365), now.AddDays(365));
    }

    /// <summary>A server certificate for <paramref name="names"/> (DNS names or IP addresses), valid from <paramref name="notBefore"/> to <paramref name="notAfter"/>; self-signed without <paramref name="issuer"/>.</summary>
    public static X509Certificate2 Server(string subject, string[] names, X509Certificate2? issuer = null, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        var now = DateTimeOffset.UtcNow;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var alternative = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (IPAddress.TryParse(name, out var address)) alternative.AddIpAddress(address);
            else alternative.AddDnsName(name);
        }
        request.CertificateExtensions.Add(alternative.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var from = notBefore ?? now.AddDays(-1);
        var until = notAfter ?? now.AddDays(7);
        if (issuer is null) return request.CreateSelfSigned(from, until);
        using var issued = request.Create(issuer, from, until, RandomNumberGenerator.GetBytes(12));
        return issued.CopyWithPrivateKey(key);
    }
}
