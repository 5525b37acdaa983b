using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Vouch.Server.Aws;

/// <summary>
/// Where <see cref="IssuerDoctor"/> connects and what it trusts: by default DNS and the system's root
/// certificates, as AWS would. Tests give a root of their own and send a public-looking host to a loopback port
/// (like curl's <c>--resolve</c>); validation itself is never relaxed.
/// </summary>
internal sealed record IssuerNetwork
{
    public static readonly IssuerNetwork System = new();

    /// <summary>The one root to trust instead of the system's; null for the system's roots.</summary>
    public X509Certificate2? TrustRoot { get; init; }

    /// <summary><c>host:port</c> → where to connect instead of resolving the host.</summary>
    public IReadOnlyDictionary<string, IPEndPoint> Resolve { get; init; } = new Dictionary<string, IPEndPoint>();

    /// <summary>
    /// The chain policy: only what the server sends plus the trusted roots, no downloads of missing intermediates
    /// (which AWS does not do either), no revocation fetches.
    /// </summary>
    public X509ChainPolicy ChainPolicy()
    {
        var policy = new X509ChainPolicy
        {
            DisableCertificateDownloads = true,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        if (TrustRoot is not null)
        {
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.Add(TrustRoot);
        }
        return policy;
    }

    public EndPoint EndPointFor(string host, int port) =>
        Resolve.TryGetValue($"{host}:{port}", out var endPoint) ? endPoint : new DnsEndPoint(host, port);
}
