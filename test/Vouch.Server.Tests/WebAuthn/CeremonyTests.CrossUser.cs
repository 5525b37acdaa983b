using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Vouch.Protocol;
using Vouch.Authenticators.Software;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.WebAuthn;

// Answers made for another ceremony, user or invite.
public sealed partial class CeremonyTests
{
    [Fact]
    public async Task An_assertion_signed_by_one_users_key_presented_with_another_users_credential_id_is_refused()
    {
        using var bob = new ApiUser(Server, "bob@example.com");
        await Alice.EnrollAsync();
        await bob.EnrollAsync();

        // Alice's key signs; the assertion claims Bob's credential (and Bob's user handle).
        var answer = await RefusalAsync(Alice.LoginAsync(a =>
        {
            a["id"] = Base64Url.EncodeToString(bob.Key.CredentialId);
            a["rawId"] = Base64Url.EncodeToString(bob.Key.CredentialId);
            a["response"]!["userHandle"] = Base64Url.EncodeToString(bob.Key.UserHandle!);
            return a;
        }));

        Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.WebAuthnFailed), answer);
        Assert.Equal(HttpStatusCode.OK, (await bob.LoginAsync()).Status);
    }

    [Fact]
    public async Task An_enrollment_answer_made_for_another_users_ceremony_is_refused()
    {
        using var bob = new ApiUser(Server, "bob@example.com");
        var (_, aliceStarted) = await Alice.PostAsync(ApiRoutes.EnrollOptions, new { invite = await Alice.InviteAsync() });
        var (_, bobStarted) = await bob.PostAsync(ApiRoutes.EnrollOptions, new { invite = await bob.InviteAsync() });
        var credential = Alice.Key.MakeCredential(aliceStarted.GetProperty("options"), Alice.Origin);

        var answer = await RefusalAsync(Alice.PostAsync(ApiRoutes.Enroll, new { ceremony = bobStarted.GetProperty("ceremony").GetString(), credential }));

        Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.WebAuthnFailed), answer);
        await using var db = Server.Get<Vouch.Server.Persistence.VouchDbContextFactory>().CreateDbContext();
        Assert.Empty(db.Credentials);
    }

    [Fact]
    public async Task An_enrollment_answered_with_webauthn_get_client_data_is_refused()
    {
        var (_, started) = await Alice.PostAsync(ApiRoutes.EnrollOptions, new { invite = await Alice.InviteAsync() });
        var credential = Alice.Key.MakeCredential(started.GetProperty("options"), Alice.Origin);
        var response = credential["response"]!.AsObject();
        var client = JsonNode.Parse(Base64Url.DecodeFromChars(response["clientDataJSON"]!.GetValue<string>()))!.AsObject();
        client["type"] = "webauthn.get";
        response["clientDataJSON"] = Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(client.ToJsonString()));

        var answer = await RefusalAsync(Alice.PostAsync(ApiRoutes.Enroll, new { ceremony = started.GetProperty("ceremony").GetString(), credential }));

        Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.WebAuthnFailed), answer);
    }

    [Fact]
    public async Task A_key_enrolled_for_alice_cannot_be_enrolled_again_with_an_invite_for_bob()
    {
        await Alice.EnrollAsync();
        using var bob = new ApiUser(Server, "bob@example.com");
        var (_, started) = await Alice.PostAsync(ApiRoutes.EnrollOptions, new { invite = await bob.InviteAsync() });
        // Alice's own key (same credential id and key pair, copied so that Alice keeps her user handle) answers the
        // ceremony of Bob's invite.
        using var same = SoftwareCredential.Import(Alice.Key.Export());
        var credential = same.MakeCredential(started.GetProperty("options"), Alice.Origin);

        var (status, body) = await Alice.PostAsync(ApiRoutes.Enroll, new { ceremony = started.GetProperty("ceremony").GetString(), credential });
        var login = await Alice.LoginAsync();

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(ErrorCodes.WebAuthnFailed, body.GetProperty("error").GetString());
        Assert.Equal("alice@example.com", login.Body.GetProperty("email").GetString());
        await using var db = Server.Get<Vouch.Server.Persistence.VouchDbContextFactory>().CreateDbContext();
        Assert.DoesNotContain(db.Users, u => u.Email == "bob@example.com");
    }

    [Fact]
    public async Task An_invite_enrolls_for_its_own_email_whatever_the_request_claims()
    {
        using var bob = new ApiUser(Server, "bob@example.com");
        // The holder of Bob's invite asks, in every field it can add, to be Alice.
        var (_, started) = await bob.PostAsync(ApiRoutes.EnrollOptions, new { invite = await bob.InviteAsync(), email = "alice@example.com" });
        var credential = bob.Key.MakeCredential(started.GetProperty("options"), bob.Origin);

        var (status, body) = await bob.PostAsync(ApiRoutes.Enroll, new { ceremony = started.GetProperty("ceremony").GetString(), credential, email = "alice@example.com" });
        var (loginStatus, login) = await bob.LoginAsync();

        Assert.Equal("bob@example.com", started.GetProperty("options").GetProperty("user").GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("bob@example.com", body.GetProperty("email").GetString());
        Assert.Equal(HttpStatusCode.OK, loginStatus);
        Assert.Equal("bob@example.com", login.GetProperty("email").GetString());
        await using var db = Server.Get<Vouch.Server.Persistence.VouchDbContextFactory>().CreateDbContext();
        Assert.DoesNotContain(db.Users, u => u.Email == "alice@example.com");
    }

    [Fact]
    public async Task A_guessed_invite_code_is_refused()
    {
        var codes = Enumerable.Range(0, 5).Select(_ => Vouch.Server.Users.InviteService.CodePrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24)));

        var answers = new List<(HttpStatusCode, string?)>();
        foreach (var code in codes) answers.Add(await RefusalAsync(Alice.PostAsync(ApiRoutes.EnrollOptions, new { invite = code })));

        Assert.All(answers, a => Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.InvalidInvite), a));
    }

    [Fact]
    public async Task A_token_request_without_a_valid_session_is_refused()
    {
        var (status, body) = await Alice.TokenAsync("vs_" + new string('A', 32));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(ErrorCodes.InvalidSession, body.GetProperty("error").GetString());
    }
}
