using System.Net.Sockets;
using System.Security.Authentication;
using Vouch.Protocol;
using Vouch.Server.Oidc;

namespace Vouch.Server.Aws;

/// <summary>
/// Checks an issuer from the outside, as AWS does before it trusts a token: the URL's shape, the TLS chain the
/// server sends, discovery within <see cref="Timeout"/> and its <c>issuer</c>, the JWKS and its first key, a fresh
/// token against the published keys, and the server's clock. Every finding is one line saying what is wrong and
/// what to do.
/// </summary>
public sealed partial class IssuerDoctor
{
    /// <summary>What AWS allows each fetch (about 5 s).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>How far the server's clock may be from this machine's: tokens are dated 60 s back for it.</summary>
    public static readonly TimeSpan ClockTolerance = TimeSpan.FromSeconds(60);

    private readonly TimeProvider _time;
    private readonly IssuerNetwork _network;

    public IssuerDoctor(TimeProvider time) : this(time, IssuerNetwork.System)
    {
    }

    internal IssuerDoctor(TimeProvider time, IssuerNetwork network) => (_time, _network) = (time, network);

    /// <summary>Runs every check that can run; a check that depends on a failed one is skipped with a line saying so.</summary>
    public async Task<IReadOnlyList<DoctorFinding>> CheckAsync(string issuer, ServerEvidence? server, CancellationToken cancellationToken)
    {
        var findings = new List<DoctorFinding>();
        if (!Uri.TryCreate(issuer, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            findings.Add(Fail("issuer", $"'{issuer}' is not an absolute https:// URL: pass --issuer https://vouch.example.com"));
            return findings;
        }
        CheckShape(issuer, uri, findings);
        // A trailing slash has its own line; the rest is checked at the URL it should be.
        var url = issuer.TrimEnd('/');

        if (uri.Scheme == Uri.UriSchemeHttps && !await CheckTlsAsync(uri, findings, cancellationToken))
        {
            findings.Add(Skip("discovery", "not fetched: fix TLS first (AWS would not get past the handshake either)"));
            return findings;
        }
        using var client = CreateClient();
        var discovery = await FetchAsync(client, "discovery", url + ApiRoutes.Discovery, findings, cancellationToken);
        if (discovery is null)
        {
            findings.Add(Skip("jwks", "not fetched: the discovery document names it"));
            return findings;
        }
        CheckClock(discovery.Date, findings);
        var jwksUri = CheckDiscovery(url, discovery.Body, findings);
        if (jwksUri is null) return findings;
        var jwks = await FetchAsync(client, "jwks", jwksUri, findings, cancellationToken);
        var keys = jwks is null ? null : ReadKeys(jwksUri, jwks.Body, findings);
        if (keys is null)
        {
            findings.Add(Skip("token", "not verified: there is no JWKS to verify it with"));
            return findings;
        }
        CheckCurrentKey(keys, server, findings);
        await CheckTokenAsync(url, keys, server, findings);
        return findings;
    }

    private static void CheckShape(string issuer, Uri uri, List<DoctorFinding> findings)
    {
        var before = findings.Count;
        var loopback = IssuerUrl.IsLoopback(uri.Host);
        var authority = issuer[(issuer.IndexOf("://", StringComparison.Ordinal) + 3)..].Split('/', '?', '#')[0];
        var port = authority.LastIndexOf(':') is var colon && colon > authority.LastIndexOf(']') && colon >= 0 ? authority[colon..] : null;
        var suggested = $"https://{uri.Host}{uri.AbsolutePath.TrimEnd('/')}";
        if (loopback)
        {
            findings.Add(Note("issuer", $"{uri.Host} is a loopback host: fine for development and Ceph RGW, but AWS can only reach a public https:// issuer on port 443"));
        }
        else
        {
            if (uri.Scheme != Uri.UriSchemeHttps)
                findings.Add(Fail("issuer", $"'{issuer}' is http:// on a public host: AWS fetches OIDC providers only over https; serve https (--tls-certificate, or behind nginx: docs/deploy.md) and use '{suggested}'"));
            if (port is not null)
                findings.Add(Fail("issuer", $"'{issuer}' names a port ({port}): AWS connects to 443 only and the provider URL has no port; serve on 443 and use '{suggested}'"));
        }
        if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
            findings.Add(Fail("issuer", $"'{issuer}' has a query or fragment, which AWS does not allow in a provider URL: use '{suggested}'"));
        if (issuer.EndsWith('/'))
            findings.Add(Fail("issuer", $"'{issuer}' ends with '/': AWS compares iss with the provider URL exactly and Vouch writes it without the slash; use '{issuer.TrimEnd('/')}' here, in VOUCH_ISSUER and in IAM"));
        if (findings.Count == before)
            findings.Add(Ok("issuer", $"{issuer}: https, port 443, no query or trailing slash"));
    }

    private static string Certificates(int count) => count == 1 ? "1 certificate" : $"{count} certificates";

    private static string Describe(Exception e, CancellationToken cancellationToken) => e switch
    {
        OperationCanceledException when !cancellationToken.IsCancellationRequested => $"no answer within {Timeout.TotalSeconds:0} s",
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => "connection refused",
        SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain } => "the name does not resolve",
        HttpRequestException { InnerException: { } inner } => Describe(inner, cancellationToken),
        HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => "the name does not resolve",
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => "connection refused",
        AuthenticationException => "TLS handshake failed: " + e.Message,
        _ => e.Message,
    };

    private static DoctorFinding Ok(string check, string message) => new(DoctorVerdict.Ok, check, message);
    private static DoctorFinding Note(string check, string message) => new(DoctorVerdict.Note, check, message);
    private static DoctorFinding Skip(string check, string message) => new(DoctorVerdict.Skipped, check, message);
    private static DoctorFinding Fail(string check, string message) => new(DoctorVerdict.Failed, check, message);
}
