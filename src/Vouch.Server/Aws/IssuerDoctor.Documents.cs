using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Vouch.Server.Aws;

/// <summary>The issuer doctor's documents: discovery, the JWKS, a fresh token against them, and the server's clock.</summary>
public sealed partial class IssuerDoctor
{
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
}
