using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Vouch.Cli.Server;

/// <summary>
/// What the CLI saw of a server certificate that failed validation: the policy errors, the chain's status flags
/// and the leaf's names and validity (UTC), copied so that a failure can be explained after the handshake.
/// </summary>
internal sealed record ServerCertificate(
    SslPolicyErrors Errors,
    X509ChainStatusFlags ChainStatus,
    string? Subject,
    string? Issuer,
    DateTimeOffset? NotBefore,
    DateTimeOffset? NotAfter,
    IReadOnlyList<string> Names)
{
    private const string SubjectAlternativeNameOid = "2.5.29.17";

    public bool IsSelfSigned => Subject is not null && Subject == Issuer;

    public static ServerCertificate From(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var status = X509ChainStatusFlags.NoError;
        foreach (var element in chain?.ChainStatus ?? []) status |= element.Status;
        if (certificate is not X509Certificate2 leaf) return new ServerCertificate(errors, status, certificate?.Subject, certificate?.Issuer, null, null, []);
        return new ServerCertificate(errors, status, leaf.Subject, leaf.Issuer,
            new DateTimeOffset(leaf.NotBefore.ToUniversalTime()), new DateTimeOffset(leaf.NotAfter.ToUniversalTime()), NamesOf(leaf));
    }

    /// <summary>The DNS names and IP addresses the certificate is for; its subject's common name when it lists none.</summary>
    private static List<string> NamesOf(X509Certificate2 leaf)
    {
        var names = new List<string>();
        foreach (var extension in leaf.Extensions)
        {
            if (extension.Oid?.Value != SubjectAlternativeNameOid) continue;
            var alternative = extension as X509SubjectAlternativeNameExtension ?? new X509SubjectAlternativeNameExtension(extension.RawData, extension.Critical);
            names.AddRange(alternative.EnumerateDnsNames());
            names.AddRange(alternative.EnumerateIPAddresses().Select(address => address.ToString()));
        }
        if (names.Count == 0 && leaf.GetNameInfo(X509NameType.SimpleName, forIssuer: false) is { Length: > 0 } commonName) names.Add(commonName);
        return names;
    }
}
