using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Vouch.Server.Aws;

/// <summary>
/// The thumbprint AWS keeps for an OIDC provider: the SHA-1 of the top intermediate CA certificate the issuer's
/// server presents, that is the last certificate of the chain it sends, leaving out a self-signed root
/// (AWS, "Obtain the thumbprint for an OpenID Connect identity provider"). Computed in process, no openssl.
/// </summary>
public static class IssuerThumbprint
{
    /// <summary>How long the TLS connection may take.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static async Task<Outcome<string>> FetchAsync(string issuer, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(issuer, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            return new Problem("not_https", $"{issuer} is not an https:// URL: AWS reaches OIDC providers only over https");
        var sent = new List<X509Certificate2>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(uri.Host, uri.Port, timeout.Token);
            await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = uri.Host,
                // Only the certificates are wanted here, whether or not this machine trusts them; nothing is sent.
                RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                {
                    if (certificate is not null) sent.Add(new X509Certificate2(certificate));
                    if (chain is not null) sent.AddRange(chain.ChainPolicy.ExtraStore.Select(c => new X509Certificate2(c)));
                    return true;
                },
            }, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            return new Problem("unreachable", $"cannot complete a TLS handshake with {uri.Host}:{uri.Port}: {Describe(e)}");
        }
        if (sent.Count == 0) return new Problem("no_certificate", $"{uri.Host}:{uri.Port} presented no certificate");
        return Compute(sent);
    }

    /// <summary>The thumbprint of the top intermediate in <paramref name="sent"/> (leaf first, the rest in any order).</summary>
    public static string Compute(IReadOnlyList<X509Certificate2> sent)
    {
        var top = sent[0];
        var seen = new HashSet<string>(StringComparer.Ordinal) { top.Thumbprint };
        while (true)
        {
            var current = top;
            var issuer = sent.FirstOrDefault(c => c.SubjectName.RawData.AsSpan().SequenceEqual(current.IssuerName.RawData) && seen.Add(c.Thumbprint));
            // A self-signed root that the server sends too is not what AWS keeps.
            if (issuer is null || issuer.SubjectName.RawData.AsSpan().SequenceEqual(issuer.IssuerName.RawData)) break;
            top = issuer;
        }
#pragma warning disable CA5350 // SHA-1 is what AWS names the provider's certificate by; it protects nothing here.
        return Convert.ToHexStringLower(SHA1.HashData(top.RawData));
#pragma warning restore CA5350
    }

    private static string Describe(Exception e) => e switch
    {
        SocketException socket => socket.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused",
            SocketError.HostNotFound or SocketError.NoData => "the name does not resolve",
            SocketError.TimedOut => "timed out",
            var code => code.ToString(),
        },
        OperationCanceledException => $"no answer within {Timeout.TotalSeconds:0} s",
        _ => e.Message,
    };
}
