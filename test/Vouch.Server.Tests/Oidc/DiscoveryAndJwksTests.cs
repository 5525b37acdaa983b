using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using Vouch.Server.Keys;
using Vouch.Server.Oidc;
using Vouch.Protocol;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Oidc;

/// <summary>The discovery document and the JWKS, as relying parties (and openid-client) see them.</summary>
public sealed class DiscoveryAndJwksTests : IAsyncLifetime
{
    private InProcessServer _server = null!;

    public async Task InitializeAsync() => _server = await InProcessServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<JsonElement> GetJsonAsync(string path) =>
        JsonDocument.Parse(await _server.Client.GetStringAsync(path.TrimStart('/'))).RootElement;

    [Fact]
    public async Task The_discovery_document_matches_the_golden_file()
    {
        var body = await _server.Client.GetStringAsync(ApiRoutes.Discovery.TrimStart('/'));

        var golden = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "TestData", "openid-configuration.json"));
        Assert.Equal(
            JsonSerializer.Serialize(JsonDocument.Parse(golden.Replace("{issuer}", _server.Issuer, StringComparison.Ordinal))),
            JsonSerializer.Serialize(JsonDocument.Parse(body)));
    }

    [Fact]
    public async Task Openid_client_discovers_the_issuer_and_its_jwks()
    {
        var result = await NodePeers.DiscoverAsync(_server.Issuer);

        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        var metadata = result.GetProperty("metadata");
        Assert.Equal(_server.Issuer, metadata.GetProperty("issuer").GetString());
        Assert.Equal(_server.JwksUri, metadata.GetProperty("jwks_uri").GetString());
        Assert.Equal(["ES256"], metadata.GetProperty("id_token_signing_alg_values_supported").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task An_issuer_with_a_path_serves_discovery_under_that_path()
    {
        await using var server = await InProcessServer.StartAsync(issuerPath: "/tenant");

        var result = await NodePeers.DiscoverAsync(server.Issuer);

        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Equal(server.Issuer + "/.well-known/jwks.json", result.GetProperty("metadata").GetProperty("jwks_uri").GetString());
    }

    [Fact]
    public async Task The_jwks_holds_public_ec_keys_only()
    {
        var jwks = await GetJsonAsync(ApiRoutes.Jwks);

        var keys = jwks.GetProperty("keys").EnumerateArray().ToList();
        Assert.Equal(2, keys.Count);
        foreach (var key in keys)
        {
            Assert.Equal(["alg", "crv", "kid", "kty", "use", "x", "x5c", "y"], key.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
            Assert.Equal("EC", key.GetProperty("kty").GetString());
            Assert.Equal("P-256", key.GetProperty("crv").GetString());
            Assert.Equal("sig", key.GetProperty("use").GetString());
            Assert.Equal("ES256", key.GetProperty("alg").GetString());
        }
    }

    [Fact]
    public async Task Each_jwks_key_carries_a_certificate_for_itself()
    {
        var jwks = await GetJsonAsync(ApiRoutes.Jwks);

        foreach (var key in jwks.GetProperty("keys").EnumerateArray())
        {
            var certificate = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(key.GetProperty("x5c")[0].GetString()!));
            using var publicKey = certificate.GetECDsaPublicKey()!;
            var q = publicKey.ExportParameters(false).Q;
            Assert.Equal(key.GetProperty("x").GetString(), Base64UrlEncoder.Encode(q.X));
            Assert.Equal(key.GetProperty("y").GetString(), Base64UrlEncoder.Encode(q.Y));
        }
    }

    [Fact]
    public async Task Each_jwks_key_has_the_thumbprint_that_jose_computes_as_kid()
    {
        var jwks = await GetJsonAsync(ApiRoutes.Jwks);

        foreach (var key in jwks.GetProperty("keys").EnumerateArray())
        {
            var jose = await NodePeers.JwkThumbprintAsync(key);
            Assert.True(jose.GetProperty("ok").GetBoolean(), jose.ToString());
            Assert.Equal(jose.GetProperty("thumbprint").GetString(), key.GetProperty("kid").GetString());
        }
    }

    [Fact]
    public async Task The_key_that_signs_is_listed_first_and_the_next_key_is_already_published()
    {
        var jwks = await GetJsonAsync(ApiRoutes.Jwks);
        var ring = _server.Get<KeyRingProvider>().Ring;
        var now = DateTimeOffset.UtcNow;

        var kids = jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()).ToList();
        Assert.Equal(ring.CurrentAt(now)!.Kid, kids[0]);
        Assert.Equal(ring.Keys.Single(k => k.ActivatesAt > now).Kid, kids[1]);
    }

    [Fact]
    public async Task The_jwks_is_cacheable_for_less_than_the_publish_lead_and_revalidates_by_etag()
    {
        using var response = await _server.Client.GetAsync(ApiRoutes.Jwks.TrimStart('/'));
        var maxAge = response.Headers.CacheControl!.MaxAge!.Value;
        var etag = response.Headers.ETag!;

        using var request = new HttpRequestMessage(HttpMethod.Get, ApiRoutes.Jwks.TrimStart('/'));
        request.Headers.IfNoneMatch.Add(etag);
        using var revalidated = await _server.Client.SendAsync(request);

        Assert.True(response.Headers.CacheControl.Public);
        Assert.True(maxAge < KeyPolicy.PublishLead);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
    }

    [Theory]
    [InlineData("/.well-known/jwks.json")]
    [InlineData("/.well-known/openid-configuration")]
    [InlineData("/.WELL-KNOWN/JWKS.JSON")]
    public async Task The_public_documents_answer_HEAD_with_the_length_of_GET_and_carry_the_security_headers(string path)
    {
        using var get = await _server.Client.GetAsync(path.TrimStart('/'));
        using var head = await _server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path.TrimStart('/')));

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        var body = await get.Content.ReadAsByteArrayAsync();
        Assert.Equal(body.Length, get.Content.Headers.ContentLength);
        Assert.Equal(body.Length, head.Content.Headers.ContentLength);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        Assert.Equal("application/json", head.Content.Headers.ContentType!.MediaType);
        foreach (var response in new[] { get, head })
        {
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
            Assert.True(response.Headers.CacheControl!.Public);
        }
    }

    [Fact]
    public async Task The_jwks_under_an_issuer_path_revalidates_by_etag_like_the_root_one()
    {
        await using var server = await InProcessServer.StartAsync(issuerPath: "/tenant");
        using var first = await server.Client.GetAsync(new Uri(server.JwksUri));
        var etag = first.Headers.ETag!;

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.JwksUri));
        request.Headers.IfNoneMatch.Add(etag);
        using var revalidated = await server.Client.SendAsync(request);
        using var stale = new HttpRequestMessage(HttpMethod.Get, new Uri(server.JwksUri));
        stale.Headers.IfNoneMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"0123456789abcdef0123456789abcdef\""));
        using var refreshed = await server.Client.SendAsync(stale);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("*", Assert.Single(first.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
        Assert.Empty(await revalidated.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await refreshed.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_health_endpoint_answers_once_keys_are_loaded()
    {
        using var response = await _server.Client.GetAsync("healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
