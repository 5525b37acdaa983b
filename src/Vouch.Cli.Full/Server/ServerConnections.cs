using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Vouch.Cli.Server;

/// <summary>
/// The HTTP client for Vouch servers (requests time out after <see cref="DefaultTimeout"/>). Certificates are
/// validated the default way, against the system's trust store (on Linux also <c>SSL_CERT_FILE</c> and
/// <c>SSL_CERT_DIR</c>); the validation callback only remembers what it saw of a rejected certificate, per host,
/// so that <see cref="Explain"/> can say in words why a request failed.
/// </summary>
public sealed class ServerConnections : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private readonly ConcurrentDictionary<string, (ServerCertificate Certificate, DateTimeOffset SeenAt)> _rejected = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _time;

    public ServerConnections(TimeProvider time) : this(time, DefaultTimeout, trustedRoots: null)
    {
    }

    /// <summary>
    /// A test seam: <paramref name="trustedRoots"/>, when given, replaces the system's trust store (the way
    /// <c>SSL_CERT_FILE</c> would for the published binary, which reads it only at start-up).
    /// </summary>
    internal ServerConnections(TimeProvider time, TimeSpan timeout, X509Certificate2Collection? trustedRoots)
    {
        _time = time;
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = Remember;
        if (trustedRoots is not null)
        {
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(trustedRoots);
            handler.SslOptions.CertificateChainPolicy = policy;
        }
        Client = new HttpClient(handler) { Timeout = timeout };
    }

    public HttpClient Client { get; }

    /// <summary>The one-line failure for a request to <paramref name="server"/> that ended in <paramref name="failure"/>.</summary>
    public CliException Explain(Exception failure, string server)
    {
        var uri = new Uri(server);
        var now = _time.GetUtcNow();
        // Only a rejection seen while this request can have been running is about this request.
        var rejected = _rejected.TryGetValue(HostKey(uri.Host), out var seen) && now - seen.SeenAt <= Client.Timeout ? seen.Certificate : null;
        return ConnectionFailure.Explain(failure, uri, rejected, Client.Timeout, now);
    }

    public void Dispose() => Client.Dispose();

    /// <summary>The default decision, unchanged; what was seen of a certificate it rejects is kept for <see cref="Explain"/>.</summary>
    private bool Remember(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var host = HostKey((sender as SslStream)?.TargetHostName ?? "");
        if (errors == SslPolicyErrors.None) _rejected.TryRemove(host, out _);
        else _rejected[host] = (ServerCertificate.From(certificate, chain, errors), _time.GetUtcNow());
        return errors == SslPolicyErrors.None;
    }

    private static string HostKey(string host) => host.Trim('[', ']');
}
