using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Vouch.Protocol;
using Vouch.Server.Oidc;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Oidc;

// Tokens jose must refuse: unpublished or wrong keys, altered claims, forgeries, expiry.
public sealed partial class IdTokenTests
{
    [Fact]
    public async Task A_token_signed_with_an_unpublished_key_is_refused_by_jose()
    {
        using var rogue = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var credentials = new SigningCredentials(new ECDsaSecurityKey(rogue) { KeyId = "rogue" }, SecurityAlgorithms.EcdsaSha256);
        var forged = Forge(credentials);

        var verdict = await VerifyWithJoseAsync(forged);

        Assert.False(verdict.GetProperty("ok").GetBoolean());
        Assert.Equal("ERR_JWKS_NO_MATCHING_KEY", verdict.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_token_signed_by_another_key_under_a_published_kid_is_refused_by_jose()
    {
        using var rogue = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var kid = Issue().Kid;
        var forged = Forge(new SigningCredentials(new ECDsaSecurityKey(rogue) { KeyId = kid }, SecurityAlgorithms.EcdsaSha256));

        var verdict = await VerifyWithJoseAsync(forged);

        Assert.False(verdict.GetProperty("ok").GetBoolean());
        Assert.Equal("ERR_JWS_SIGNATURE_VERIFICATION_FAILED", verdict.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_token_whose_claims_were_altered_is_refused_by_jose()
    {
        var parts = Issue().Token.Split('.');
        var payload = Base64UrlEncoder.Decode(parts[1]).Replace("alice@example.com", "admin@example.com", StringComparison.Ordinal);
        var tampered = $"{parts[0]}.{Base64UrlEncoder.Encode(payload)}.{parts[2]}";

        var verdict = await VerifyWithJoseAsync(tampered);

        Assert.Equal("ERR_JWS_SIGNATURE_VERIFICATION_FAILED", verdict.GetProperty("code").GetString());
    }

    /// <summary>The forgeries of <see cref="JwtForgeries"/> that no test above already shows jose refusing.</summary>
    public static TheoryData<string> Forgeries() =>
        new(JwtForgeries.Names.Except(["attacker-key-under-published-kid", "payload-tampered-after-signing"]));

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task A_forged_token_is_refused_by_jose_and_no_key_location_it_names_is_fetched(string forgery)
    {
        await using var attacker = new AttackerKeyServer();
        var jwks = JsonDocument.Parse(await _server.Client.GetStringAsync(ApiRoutes.Jwks.TrimStart('/'))).RootElement;
        var forged = JwtForgeries.Forge(forgery, Issue().Token, jwks, attacker, "admin@example.com");

        var verdict = await VerifyWithJoseAsync(forged);

        Assert.False(verdict.GetProperty("ok").GetBoolean(), $"jose accepted the forgery {forgery}: {verdict}");
        Assert.Equal(0, attacker.Connections);
    }

    [Fact]
    public async Task The_jku_forgery_verifies_against_the_attackers_own_jwks_which_counts_the_fetch()
    {
        // The control of the test above: the forgery is well made, and a fetch of the attacker's keys would be seen.
        await using var attacker = new AttackerKeyServer();
        var jwks = JsonDocument.Parse(await _server.Client.GetStringAsync(ApiRoutes.Jwks.TrimStart('/'))).RootElement;
        var forged = JwtForgeries.Forge("attacker-key-behind-jku", Issue().Token, jwks, attacker, "admin@example.com");

        var verdict = await NodePeers.VerifyJwtAsync(forged, attacker.JwksUrl, _server.Issuer, _server.Audience);

        Assert.True(verdict.GetProperty("ok").GetBoolean(), verdict.ToString());
        Assert.Equal("admin@example.com", verdict.GetProperty("payload").GetProperty("sub").GetString());
        Assert.True(attacker.Connections > 0);
    }

    [Fact]
    public async Task An_expired_token_is_refused_by_jose()
    {
        // A server whose clock is 30 minutes behind mints a token that expired 20 minutes ago.
        await using var late = await InProcessServer.StartAsync(time: new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(-30)));
        var token = late.Get<IdTokenService>().Issue(new IdTokenRequest { Email = "alice@example.com" }).Value?.Token;
        Assert.NotNull(token);

        var verdict = await NodePeers.VerifyJwtAsync(token, late.JwksUri, late.Issuer, late.Audience);

        Assert.Equal("ERR_JWT_EXPIRED", verdict.GetProperty("code").GetString());
    }

    private string Forge(SigningCredentials credentials)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _server.Issuer,
            Audience = _server.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(5),
            Claims = new Dictionary<string, object> { ["sub"] = "alice@example.com" },
            SigningCredentials = credentials,
        });
    }
}
