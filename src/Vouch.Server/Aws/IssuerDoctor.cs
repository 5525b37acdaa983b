using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Vouch.Protocol;
using Vouch.Server.Hosting;

namespace Vouch.Server.Aws;

/// <summary>
/// Checks an issuer from the outside, as AWS does before it trusts a token: the URL's shape, the TLS chain the
/// server sends, discovery within <see cref="Timeout"/> and its <c>issuer</c>, the JWKS and its first key, a fresh
/// token against the published keys, and the server's clock. Every finding is one line saying what is wrong and
/// what to do.
/// </summary>
public sealed class IssuerDoctor
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

    private sealed record Fetched(string Body, DateTimeOffset? Date);

    /// <summary>GETs <paramref name="url"/> within <see cref="Timeout"/>; null (with a finding) unless it answers 200.</summary>
    private static async Task<Fetched?> FetchAsync(HttpClient client, string check, string url, List<DoctorFinding> findings, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await client.GetAsync(url, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode != System.Net.HttpStatusCode.OK)
            {
                var redirect = response.Headers.Location is { } location ? $" (to {location})" : "";
                findings.Add(Fail(check, $"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}{redirect}: AWS needs 200 with the document at exactly this URL, " +
                                         "or it answers InvalidIdentityToken"));
                return null;
            }
            findings.Add(Ok(check, $"{url} answered in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms"));
            return new Fetched(body, response.Headers.Date);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            findings.Add(Fail(check, $"{url} cannot be fetched: {Describe(e, cancellationToken)}; AWS would answer InvalidIdentityToken. " +
                                     "Make it reachable from the internet over https on 443 (DNS, firewall, proxy)"));
            return null;
        }
    }

    private void CheckClock(DateTimeOffset? date, List<DoctorFinding> findings)
    {
        if (date is not { } served)
        {
            findings.Add(Skip("clock", "the server sent no Date header to compare this machine's clock with"));
            return;
        }
        var skew = served - _time.GetUtcNow();
        var seconds = Math.Abs(skew.TotalSeconds).ToString("0", CultureInfo.InvariantCulture);
        if (skew.Duration() <= ClockTolerance)
        {
            findings.Add(Ok("clock", $"the server's clock is within {seconds} s of this machine's"));
            return;
        }
        findings.Add(Fail("clock", skew > TimeSpan.Zero
            ? $"the server's clock is {seconds} s ahead of this machine's: its tokens would not be valid yet for STS; run NTP on both (timedatectl set-ntp true)"
            : $"the server's clock is {seconds} s behind this machine's: its tokens would look expired to STS (ExpiredTokenException); run NTP on both (timedatectl set-ntp true)"));
    }

    /// <summary>Checks the document's issuer; returns its <c>jwks_uri</c>, or null (with a finding).</summary>
    private static string? CheckDiscovery(string issuer, string body, List<DoctorFinding> findings)
    {
        string? named, jwksUri;
        try
        {
            using var document = JsonDocument.Parse(body);
            named = document.RootElement.TryGetProperty("issuer", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
            jwksUri = document.RootElement.TryGetProperty("jwks_uri", out var j) && j.ValueKind == JsonValueKind.String ? j.GetString() : null;
        }
        catch (JsonException)
        {
            findings.Add(Fail("discovery", "the document is not JSON: something other than Vouch answers at this URL (a proxy's error page?)"));
            return null;
        }
        findings.Add(named == issuer
            ? Ok("issuer", $"the discovery document names exactly {issuer}")
            : Fail("issuer", $"the discovery document names issuer '{named}', not '{issuer}': AWS refuses every token whose iss differs from the provider URL; " +
                             $"set the server's issuer (VOUCH_ISSUER, --issuer) to '{issuer}' or register '{named}' with AWS"));
        if (jwksUri is null)
        {
            findings.Add(Fail("jwks", "the discovery document has no jwks_uri: something other than Vouch answers at this URL"));
            return null;
        }
        if (issuer.StartsWith("https://", StringComparison.Ordinal) && !jwksUri.StartsWith("https://", StringComparison.Ordinal))
        {
            findings.Add(Fail("jwks", $"jwks_uri '{jwksUri}' is not https: AWS fetches keys only over https; the server's issuer decides it, so set that to an https:// URL"));
            return null;
        }
        return jwksUri;
    }

    private static JsonWebKeySet? ReadKeys(string jwksUri, string body, List<DoctorFinding> findings)
    {
        try
        {
            var keys = new JsonWebKeySet(body);
            if (keys.Keys.Count > 0) return keys;
            findings.Add(Fail("jwks", $"{jwksUri} lists no keys: AWS can verify no token; start the server once so that it creates its signing keys"));
        }
        catch (ArgumentException)
        {
            findings.Add(Fail("jwks", $"{jwksUri} is not a JSON Web Key Set: something other than Vouch answers at this URL"));
        }
        return null;
    }

    private static void CheckCurrentKey(JsonWebKeySet keys, ServerEvidence? server, List<DoctorFinding> findings)
    {
        if (server?.CurrentKid is not { } kid)
        {
            findings.Add(Skip("signing key", server?.KeyUnavailable ?? "not compared: the server's database was not read"));
            return;
        }
        var position = keys.Keys.ToList().FindIndex(k => k.Kid == kid);
        findings.Add(position switch
        {
            0 => Ok("signing key", $"the key that signs now ({kid}) is published first, as Ceph RGW needs"),
            > 0 => Fail("signing key", $"the key that signs now ({kid}) is published at position {position + 1}, not first: Ceph RGW verifies with the first key only; " +
                                       "a cache between AWS and the server may hold an old JWKS (it may keep it 5 minutes)"),
            _ => Fail("signing key", $"the key that signs now ({kid}) is not in the published JWKS: another server or a stale cache answers at this URL; " +
                                     "AWS would answer InvalidIdentityToken"),
        });
    }

    private static async Task CheckTokenAsync(string issuer, JsonWebKeySet keys, ServerEvidence? server, List<DoctorFinding> findings)
    {
        if (server?.Token is not { } token)
        {
            findings.Add(Skip("token", server?.TokenUnavailable ?? "not verified: no token was minted"));
            return;
        }
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudience = server.Audience,
            IssuerSigningKeys = keys.GetSigningKeys(),
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
        });
        var minted = new JsonWebToken(token);
        if (result.IsValid)
        {
            findings.Add(Ok("token", $"a token minted now (key {minted.Kid}, aud {server.Audience}) verifies against the published JWKS for issuer {issuer}"));
            return;
        }
        var why = result.Exception switch
        {
            SecurityTokenInvalidIssuerException => $"the server writes iss '{minted.Issuer}', not '{issuer}'; set its issuer (VOUCH_ISSUER, --issuer) to '{issuer}'",
            SecurityTokenInvalidAudienceException => $"its aud is not '{server.Audience}'",
            SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException =>
                $"no published key verifies its signature (key {minted.Kid}); another server or a stale cache answers at the JWKS URL",
            var other => other?.Message ?? "it does not validate",
        };
        findings.Add(Fail("token", $"a token minted now does not verify against the published JWKS: {why}; AWS would answer InvalidIdentityToken"));
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
