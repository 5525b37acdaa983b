using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Server.Oidc;
using Vouch.Server.Persistence;
using Vouch.Server.WebAuthn;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Oidc;

/// <summary>
/// Security review L6: with <c>--source-identity</c>, an email AWS would not take unchanged gets no token (a stable
/// code, audited) instead of a source identity with characters dropped, which another user's could equal.
/// </summary>
public sealed class SourceIdentityTests
{
    [Theory]
    [InlineData("alice@example.com", true)]
    [InlineData("a.l_i-c+e=x,y@example.com", true)]
    [InlineData("a'lice@example.com", false)]
    [InlineData("al!ce@example.com", false)]
    [InlineData("a~lice@example.com", false)]
    public void Only_an_email_aws_takes_unchanged_is_a_source_identity(string email, bool kept) =>
        Assert.Equal(kept ? email : null, IdTokenService.AwsSourceIdentity(email));

    [Fact]
    public void An_email_over_64_characters_is_refused_rather_than_clipped() =>
        Assert.Null(IdTokenService.AwsSourceIdentity(new string('a', 53) + "@example.com"));

    [Fact]
    public async Task Two_emails_that_used_to_collide_one_gets_its_own_source_identity_the_other_a_clear_refusal_audited()
    {
        await using var server = await InProcessServer.StartAsync(attestation: AttestationPolicy.Any,
            configure: settings => settings with { Oidc = settings.Oidc with { SourceIdentity = true } });
        using var alice = new ApiUser(server, "alice@example.com");
        using var other = new ApiUser(server, "a'lice@example.com");

        var (aliceStatus, aliceToken) = await alice.TokenAsync(await alice.EnrollAndLoginAsync());
        var (otherStatus, refused) = await other.TokenAsync(await other.EnrollAndLoginAsync());

        Assert.Equal(HttpStatusCode.OK, aliceStatus);
        var jwt = new JsonWebToken(aliceToken.GetProperty("id_token").GetString());
        Assert.Equal("alice@example.com", jwt.GetPayloadValue<string>(IdTokenService.AwsSourceIdentityClaim));
        Assert.Equal(HttpStatusCode.Forbidden, otherStatus);
        Assert.Equal(ErrorCodes.SourceIdentityRefused, refused.GetProperty("error").GetString());
        Assert.Equal(
            "a'lice@example.com cannot be an AWS source identity (2 to 64 letters, digits and _+=,.@- only), which this server puts in every token; ask your administrator",
            refused.GetProperty("error_description").GetString());
        await using var db = server.Get<VouchDbContextFactory>().CreateDbContext();
        var audited = await db.AuditRecords.AsNoTracking().SingleAsync(r => r.Type == AuditEventTypes.TokenRefused);
        Assert.Equal("user:a'lice@example.com", audited.Actor);
        Assert.Contains(ErrorCodes.SourceIdentityRefused, audited.Data, StringComparison.Ordinal);
        Assert.Single(await db.AuditRecords.AsNoTracking().Where(r => r.Type == AuditEventTypes.TokenIssued).ToListAsync());
    }
}
