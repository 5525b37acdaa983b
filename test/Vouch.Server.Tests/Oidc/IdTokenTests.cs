using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Server.Keys;
using Vouch.Server.Oidc;
using Vouch.Server.Persistence;
using Vouch.Server.Secrets;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Oidc;

/// <summary>Minted ID tokens, checked claim by claim and verified by jose against the running server's JWKS.</summary>
public sealed partial class IdTokenTests : IAsyncLifetime
{
    // The server's clock starts at the real time, so that jose (on the real clock) accepts fresh tokens.
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private InProcessServer _server = null!;

    public async Task InitializeAsync() => _server = await InProcessServer.StartAsync(time: _time);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private IssuedIdToken Issue(string email = "alice@example.com", string? domain = null, bool hardwareKey = true)
    {
        var result = _server.Get<IdTokenService>().Issue(new IdTokenRequest { Email = email, Domain = domain, HardwareKey = hardwareKey });
        Assert.True(result.Succeeded, result.Problem?.Description);
        return result.Value;
    }

    private Task<JsonElement> VerifyWithJoseAsync(string token) =>
        NodePeers.VerifyJwtAsync(token, _server.JwksUri, _server.Issuer, _server.Audience);

    [Fact]
    public void A_token_carries_exactly_the_claims_of_the_design()
    {
        var issued = Issue("Alice@Example.com");
        var token = new JsonWebToken(issued.Token);
        var now = _time.GetUtcNow().ToUnixTimeSeconds();

        Assert.Equal("ES256", token.Alg);
        Assert.Equal("JWT", token.Typ);
        Assert.Equal(_server.Get<KeyRingProvider>().Ring.CurrentAt(_time.GetUtcNow())!.Kid, token.Kid);
        Assert.Equal(
            ["amr", "aud", "email", "email_verified", "exp", "hd", "https://aws.amazon.com/tags", "iat", "iss", "jti", "nbf", "sub"],
            token.Claims.Select(c => c.Type).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(_server.Issuer, token.Issuer);
        Assert.Equal([_server.Audience], token.Audiences);
        Assert.Equal("alice@example.com", token.Subject);
        Assert.Equal("alice@example.com", token.GetPayloadValue<string>("email"));
        Assert.True(token.GetPayloadValue<bool>("email_verified"));
        Assert.Equal("example.com", token.GetPayloadValue<string>("hd"));
        Assert.Equal(now - 60, token.GetPayloadValue<long>("iat"));
        Assert.Equal(now - 60, token.GetPayloadValue<long>("nbf"));
        Assert.Equal(now - 60 + 600, token.GetPayloadValue<long>("exp"));
        Assert.Equal(issued.Jti, token.Id);

        using var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(token.EncodedPayload));
        Assert.Equal("""["hwk","pin"]""", payload.RootElement.GetProperty("amr").GetRawText());
        Assert.Equal(
            """{"principal_tags":{"email":["alice@example.com"],"domain":["example.com"]},"transitive_tag_keys":["email","domain"]}""",
            payload.RootElement.GetProperty("https://aws.amazon.com/tags").GetRawText());
    }

    [Fact]
    public void A_key_not_proven_hardware_gets_only_proof_of_possession_in_amr()
    {
        var token = new JsonWebToken(Issue(hardwareKey: false).Token);

        using var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(token.EncodedPayload));
        Assert.Equal("""["pop"]""", payload.RootElement.GetProperty("amr").GetRawText());
    }

    [Fact]
    public void The_organization_domain_can_differ_from_the_email_domain()
    {
        var token = new JsonWebToken(Issue("bob@contractor.io", domain: "example.com").Token);

        Assert.Equal("example.com", token.GetPayloadValue<string>("hd"));
        Assert.Equal("bob@contractor.io", token.Subject);
    }

    [Fact]
    public void Every_token_has_its_own_jti()
    {
        var jtis = Enumerable.Range(0, 50).Select(_ => Issue().Jti).ToHashSet();

        Assert.Equal(50, jtis.Count);
    }

    [Theory]
    [InlineData("not-an-email", ErrorCodes.InvalidEmail)]
    [InlineData("alice@", ErrorCodes.InvalidEmail)]
    [InlineData("alice@example", ErrorCodes.InvalidEmail)]
    [InlineData("al ice@example.com", ErrorCodes.InvalidEmail)]
    public void A_subject_that_is_not_a_plain_email_is_refused(string email, string error)
    {
        var result = _server.Get<IdTokenService>().Issue(new IdTokenRequest { Email = email });

        Assert.Equal(error, result.Problem?.Code);
    }

    [Fact]
    public void A_token_for_an_audience_the_server_does_not_serve_is_refused()
    {
        var result = _server.Get<IdTokenService>().Issue(new IdTokenRequest { Email = "alice@example.com", Audience = "evil.example.com" });

        Assert.False(result.Succeeded);
        Assert.Equal(ErrorCodes.InvalidAudience, result.Problem?.Code);
    }

    [Fact]
    public async Task Jose_verifies_a_token_against_the_published_jwks()
    {
        var issued = Issue();

        var verdict = await VerifyWithJoseAsync(issued.Token);

        Assert.True(verdict.GetProperty("ok").GetBoolean(), verdict.ToString());
        Assert.Equal("alice@example.com", verdict.GetProperty("payload").GetProperty("sub").GetString());
        Assert.Equal(issued.Kid, verdict.GetProperty("header").GetProperty("kid").GetString());
        Assert.Equal("ES256", verdict.GetProperty("header").GetProperty("alg").GetString());
    }

    [Fact]
    public async Task A_token_signed_before_a_rotation_still_verifies_after_it()
    {
        var before = Issue();
        var rotation = await _server.Get<KeyStore>().RotateAsync(AuditActors.Admin, CancellationToken.None);
        _time.SetUtcNow(rotation.ActivatesAt);
        await _server.Get<KeyRingProvider>().ReloadAsync(CancellationToken.None);

        var after = Issue();
        var jwks = JsonDocument.Parse(await _server.Client.GetStringAsync(ApiRoutes.Jwks.TrimStart('/'))).RootElement;
        var verdict = await VerifyWithJoseAsync(before.Token);

        Assert.True(verdict.GetProperty("ok").GetBoolean(), verdict.ToString());
        Assert.Equal(rotation.Kid, after.Kid);
        Assert.NotEqual(before.Kid, after.Kid);
        var kids = jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()).ToList();
        Assert.Equal([rotation.Kid, rotation.NextKid, before.Kid], kids);
    }

    /// <summary>
    /// Replaces the published next key with one this server cannot open (sealed with another key-encryption key, as
    /// an administrator with the wrong key would have added it), and lets the server re-read its keys.
    /// </summary>
    private async Task<SigningKeyRecord> AddAnUnreadableNextKeyAsync()
    {
        using var otherKek = KeyEncryptionKey.Generate();
        SigningKeyRecord stray;
        await using (var db = _server.Get<VouchDbContextFactory>().CreateDbContext())
        {
            var next = await db.SigningKeys.SingleAsync(k => k.ActivatesAt > _time.GetUtcNow());
            db.SigningKeys.Remove(next);
            stray = new SigningKeyFactory(otherKek).Create(next.Generation, next.CreatedAt, next.ActivatesAt);
            db.SigningKeys.Add(stray);
            await db.SaveChangesAsync();
        }
        await _server.Get<KeyRingProvider>().ReloadAsync(CancellationToken.None);
        return stray;
    }

    private async Task<List<string?>> PublishedKidsAsync()
    {
        var jwks = JsonDocument.Parse(await _server.Client.GetStringAsync(ApiRoutes.Jwks.TrimStart('/'))).RootElement;
        return jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()).ToList();
    }

    [Fact]
    public async Task A_next_key_that_cannot_be_opened_is_skipped_and_the_server_keeps_serving_jwks_and_tokens()
    {
        var before = Issue();

        var broken = await AddAnUnreadableNextKeyAsync();

        var after = Issue();
        Assert.Equal(before.Kid, after.Kid);
        Assert.Equal([before.Kid], await PublishedKidsAsync());
        Assert.DoesNotContain(broken.Kid, await PublishedKidsAsync());
        using var health = await _server.Client.GetAsync(ApiRoutes.Health.TrimStart('/'));
        Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
        Assert.True((await VerifyWithJoseAsync(after.Token)).GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task When_a_key_that_cannot_be_opened_comes_due_the_server_refuses_tokens_rather_than_sign_with_the_old_key()
    {
        var before = Issue();
        var broken = await AddAnUnreadableNextKeyAsync();

        _time.SetUtcNow(broken.ActivatesAt);

        var refused = _server.Get<IdTokenService>().Issue(new IdTokenRequest { Email = "alice@example.com" });
        Assert.Equal(ErrorCodes.NotReady, refused.Problem?.Code);
        Assert.Equal(503, refused.Problem!.Status);
        Assert.Contains(broken.Kid, refused.Problem.Reason, StringComparison.Ordinal);
        using var health = await _server.Client.GetAsync(ApiRoutes.Health.TrimStart('/'));
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, health.StatusCode);
        // Tokens the old key signed still verify: it stays published, retired; the broken key never is.
        var published = await PublishedKidsAsync();
        Assert.Contains(before.Kid, published);
        Assert.DoesNotContain(broken.Kid, published);
    }
}
