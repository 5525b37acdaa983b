using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Vouch.Protocol;

namespace Vouch.Server.Aws;

/// <summary>The issuer doctor's network side: the TLS handshake AWS would make, and the client that fetches the documents.</summary>
public sealed partial class IssuerDoctor
{
    private async Task<bool> CheckTlsAsync(Uri uri, List<DoctorFinding> findings, CancellationToken cancellationToken)
    {
        var errors = SslPolicyErrors.None;
        var status = new List<X509ChainStatus>();
        var sent = new List<X509Certificate2>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            using var socket = await ConnectAsync(uri.Host, uri.Port, timeout.Token);
            await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = uri.Host,
                CertificateChainPolicy = _network.ChainPolicy(),
                RemoteCertificateValidationCallback = (_, certificate, chain, policyErrors) =>
                {
                    errors = policyErrors;
                    if (certificate is not null) sent.Add(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
                    if (chain is not null)
                    {
                        status.AddRange(chain.ChainStatus);
                        sent.AddRange(chain.ChainPolicy.ExtraStore.Where(c => sent.All(s => s.Thumbprint != c.Thumbprint))
                            .Select(c => X509CertificateLoader.LoadCertificate(c.RawData)));
                    }
                    // Judged below, with words for each way it can be wrong; nothing is sent on this connection.
                    return true;
                },
            }, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or AuthenticationException)
        {
            findings.Add(Fail("tls", $"no TLS handshake with {uri.Host}:{uri.Port}: {Describe(e, cancellationToken)}; AWS would answer InvalidIdentityToken or IDPCommunicationError"));
            return false;
        }
        try
        {
            return JudgeTls(uri.Host, errors, status, sent, findings);
        }
        finally
        {
            foreach (var certificate in sent) certificate.Dispose();
        }
    }

    private static bool JudgeTls(string host, SslPolicyErrors errors, List<X509ChainStatus> status, List<X509Certificate2> sent, List<DoctorFinding> findings)
    {
        if (sent.Count == 0)
        {
            findings.Add(Fail("tls", $"{host} presented no certificate"));
            return false;
        }
        var leaf = sent[0];
        var before = findings.Count;
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            findings.Add(Fail("tls", $"the certificate is for '{leaf.GetNameInfo(X509NameType.DnsName, false)}', not {host}: get one whose subject alternative names include {host}"));
        var flags = status.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        if (flags.HasFlag(X509ChainStatusFlags.PartialChain))
            // Not sent and not trusted: a missing intermediate and a private CA look alike from here; say both.
            findings.Add(Fail("tls", $"the chain is incomplete: the server sends {Certificates(sent.Count)} and no trusted root issued the last one ('{sent[^1].Issuer}'); " +
                                     "serve the leaf followed by its intermediates (certbot's fullchain.pem; nginx ssl_certificate), since AWS does not fetch missing intermediates; " +
                                     "if that issuer is a private certificate authority, the chain ends at a root AWS does not trust either: use a certificate from a public one (Let's Encrypt, for example)"));
        else if (flags.HasFlag(X509ChainStatusFlags.UntrustedRoot))
            findings.Add(Fail("tls", "the chain ends at a root this machine does not trust: AWS trusts public certificate authorities only; use a certificate from one (Let's Encrypt, for example)"));
        if (flags.HasFlag(X509ChainStatusFlags.NotTimeValid))
            findings.Add(Fail("tls", $"a certificate of the chain has expired or is not valid yet (the leaf: {leaf.NotBefore:u} to {leaf.NotAfter:u}): renew it"));
        var other = flags & ~(X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.NotTimeValid);
        if (other != X509ChainStatusFlags.NoError)
            findings.Add(Fail("tls", $"the certificate chain does not validate ({other}): fix the certificate the server sends"));
        else if (findings.Count == before && errors != SslPolicyErrors.None)
            findings.Add(Fail("tls", $"the certificate does not validate ({errors}): fix the certificate the server sends"));
        if (findings.Count > before) return false;
        findings.Add(Ok("tls", $"certificate for {host} valid until {leaf.NotAfter.ToUniversalTime():yyyy-MM-dd}, chains to a trusted root with the {Certificates(sent.Count)} " +
                               $"the server sends; thumbprint {IssuerThumbprint.Compute(sent)}"));
        return true;
    }

    private HttpClient CreateClient() => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
            new NetworkStream(await ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, cancellationToken), ownsSocket: true),
        SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = _network.ChainPolicy() },
        // AWS expects the documents at their URLs; a redirect is reported, not followed.
        AllowAutoRedirect = false,
        UseProxy = false,
    })
    {
        Timeout = Timeout,
    };

    private async Task<Socket> ConnectAsync(string host, int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_network.EndPointFor(host, port), cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
