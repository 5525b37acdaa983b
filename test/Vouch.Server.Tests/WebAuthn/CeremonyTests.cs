using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Authenticators.Software;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.WebAuthn;

/// <summary>Enrollment, login and tokens over the JSON API, with a software authenticator.</summary>
public sealed class CeremonyTests : ApiUserTests
{
    [Fact]
    public async Task Enrollment_then_login_gives_a_session_whose_token_jose_verifies()
    {
        await Alice.EnrollAsync();

        var (status, login) = await Alice.LoginAsync();
        Assert.Equal(HttpStatusCode.OK, status);
        var (tokenStatus, token) = await Alice.TokenAsync(login.GetProperty("session").GetString()!);

        Assert.Equal(HttpStatusCode.OK, tokenStatus);
        var verdict = await NodePeers.VerifyJwtAsync(token.GetProperty("id_token").GetString()!, Server.JwksUri, Server.Issuer, Server.Audience);
        Assert.True(verdict.GetProperty("ok").GetBoolean(), verdict.ToString());
        Assert.Equal("alice@example.com", verdict.GetProperty("payload").GetProperty("sub").GetString());
    }

    [Fact]
    public async Task Every_issued_token_is_audited_with_its_jti_and_audience()
    {
        var session = await Alice.EnrollAndLoginAsync();
        var jti = (await Alice.TokenAsync(session)).Body.GetProperty("jti").GetString()!;

        await using var db = Server.Get<Vouch.Server.Persistence.VouchDbContextFactory>().CreateDbContext();
        var types = db.AuditRecords.OrderBy(r => r.Sequence).Select(r => r.Type).ToList();
        var issued = db.AuditRecords.Single(r => r.Type == AuditEventTypes.TokenIssued);
        var data = JsonDocument.Parse(issued.Data).RootElement;

        Assert.Equal([AuditEventTypes.InviteCreated, AuditEventTypes.Enrolled, AuditEventTypes.LoginSucceeded, AuditEventTypes.TokenIssued], types.Where(t => !t.StartsWith("key.", StringComparison.Ordinal)));
        Assert.Equal(jti, data.GetProperty("jti").GetString());
        Assert.Equal(Server.Audience, data.GetProperty("aud").GetString());
        Assert.Equal("user:alice@example.com", issued.Actor);
        Assert.DoesNotContain(session, string.Join("\n", db.AuditRecords.Select(r => r.Data).ToList()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logout_revokes_the_session_on_the_server()
    {
        var session = await Alice.EnrollAndLoginAsync();

        var (loggedOut, _) = await Alice.PostAsync("api/v1/logout", new { }, session);
        var (refused, body) = await Alice.TokenAsync(session);

        Assert.Equal(HttpStatusCode.NoContent, loggedOut);
        Assert.Equal(HttpStatusCode.Unauthorized, refused);
        Assert.Equal(ErrorCodes.SessionRevoked, body.GetProperty("error").GetString());
        await using var db = Server.Get<Vouch.Server.Persistence.VouchDbContextFactory>().CreateDbContext();
        Assert.Equal("user:alice@example.com", db.AuditRecords.Single(r => r.Type == AuditEventTypes.SessionRevoked).Actor);
    }

    [Fact]
    public async Task Logout_is_audited_with_the_client_address_as_the_login_is()
    {
        var session = await Alice.EnrollAndLoginAsync();

        await Alice.PostAsync("api/v1/logout", new { }, session);

        await using var db = Server.Get<Vouch.Server.Persistence.VouchDbContextFactory>().CreateDbContext();
        var login = db.AuditRecords.Single(r => r.Type == AuditEventTypes.LoginSucceeded).ClientAddress;
        Assert.NotNull(login);
        Assert.Equal(login, db.AuditRecords.Single(r => r.Type == AuditEventTypes.SessionRevoked).ClientAddress);
    }

    [Fact]
    public async Task Login_options_do_not_reveal_whether_an_email_is_enrolled()
    {
        await Alice.EnrollAsync();

        var (_, enrolled) = await Alice.PostAsync("api/v1/login/options", new { email = "alice@example.com" });
        var (_, unknown) = await Alice.PostAsync("api/v1/login/options", new { email = "nobody@example.com" });

        static string Shape(JsonElement options) =>
            string.Join(",", options.GetProperty("options").EnumerateObject().Where(p => p.Name != "challenge").Select(p => p.Name + "=" + p.Value.GetRawText()));
        Assert.Equal(Shape(enrolled), Shape(unknown));
        Assert.False(enrolled.GetProperty("options").TryGetProperty("allowCredentials", out var allowed) && allowed.GetArrayLength() > 0);
    }

    [Fact]
    public async Task Ceremony_endpoints_are_rate_limited_per_client()
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 31; i++)
            statuses.Add((await Alice.PostAsync("api/v1/login/options", new { email = "alice@example.com" })).Status);
        var (status, body) = await Alice.PostAsync("api/v1/login/options", new { email = "alice@example.com" });

        Assert.All(statuses.Take(30), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Equal(ErrorCodes.RateLimited, body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task An_invite_used_twice_is_refused()
    {
        var code = await Alice.InviteAsync();
        await Alice.EnrollAsync(code);

        var (status, body) = await Alice.PostAsync("api/v1/enroll/options", new { invite = code });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(ErrorCodes.InvalidInvite, body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_replayed_login_ceremony_is_refused()
    {
        await Alice.EnrollAsync();
        var (_, started) = await Alice.PostAsync("api/v1/login/options", new { email = "alice@example.com" });
        var assertion = Alice.Key.GetAssertion(started.GetProperty("options"), Alice.Origin);
        var ceremony = started.GetProperty("ceremony").GetString();

        var (first, _) = await Alice.PostAsync("api/v1/login", new { ceremony, assertion });
        var (second, body) = await Alice.PostAsync("api/v1/login", new { ceremony, assertion });

        Assert.Equal(HttpStatusCode.OK, first);
        Assert.Equal(HttpStatusCode.BadRequest, second);
        Assert.Equal(ErrorCodes.InvalidCeremony, body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task An_assertion_without_user_verification_is_refused_with_the_uniform_error()
    {
        await Alice.EnrollAsync();
        Alice.Key.UserVerified = false;

        var (status, body) = await Alice.LoginAsync();

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(ErrorCodes.WebAuthnFailed, body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_lowered_sign_counter_is_refused_as_locked_and_audited_as_a_clone()
    {
        await Alice.EnrollAsync();
        Assert.Equal(HttpStatusCode.OK, (await Alice.LoginAsync()).Status);
        Alice.Key.Counter = 0;

        var (status, body) = await Alice.LoginAsync();

        Assert.Equal(ErrorCodes.CredentialLocked, body.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, status);
        await using var db = Server.Get<Vouch.Server.Persistence.VouchDbContextFactory>().CreateDbContext();
        Assert.Contains(db.AuditRecords, r => r.Type == AuditEventTypes.CloneSuspected);
    }

    [Fact]
    public async Task An_assertion_for_another_origin_is_refused()
    {
        await Alice.EnrollAsync();
        var (_, started) = await Alice.PostAsync("api/v1/login/options", new { email = "alice@example.com" });
        var assertion = Alice.Key.GetAssertion(started.GetProperty("options"), "http://evil.localhost:1234");

        var (status, body) = await Alice.PostAsync("api/v1/login", new { ceremony = started.GetProperty("ceremony").GetString(), assertion });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(ErrorCodes.WebAuthnFailed, body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_client_data_origin_with_line_breaks_and_terminal_escapes_is_logged_escaped_on_its_one_line()
    {
        await Alice.EnrollAsync();
        const string forged = "http://evil.localhost\r\nFAKE LOG LINE \u001b[31mred\u2028FAKE TOO";
        var (ceremony, options) = await Alice.BeginLoginAsync();
        var assertion = Alice.Key.GetAssertion(options, forged);

        var (status, _) = await Alice.PostAsync(ApiRoutes.Login, new { ceremony, assertion });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var refusal = Assert.Single(Logs.Messages, m => m.Contains("evil.localhost", StringComparison.Ordinal));
        Assert.Contains(@"http://evil.localhost\r\nFAKE LOG LINE \x1b[31mred\u2028FAKE TOO", refusal, StringComparison.Ordinal);
        Assert.All(Logs.Messages, m => Assert.True(m.IndexOfAny(['\r', '\n', '\u001b', '\u2028']) < 0, m));
        Assert.DoesNotContain(Logs.Messages.SelectMany(m => m.Split('\r', '\n', '\u2028')), line => line.StartsWith("FAKE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_software_authenticator_is_refused_under_the_yubikey_policy()
    {
        await using var strict = await InProcessServer.StartAsync();
        using var bob = new ApiUser(strict, "bob@example.com");
        var (_, options) = await bob.PostAsync("api/v1/enroll/options", new { invite = await bob.InviteAsync() });
        var credential = bob.Key.MakeCredential(options.GetProperty("options"), bob.Origin);

        var (status, body) = await bob.PostAsync("api/v1/enroll", new { ceremony = options.GetProperty("ceremony").GetString(), credential });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(ErrorCodes.AttestationRefused, body.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("api/v1/enroll", "{}")]
    [InlineData("api/v1/enroll", "{\"ceremony\":\"not-a-guid\",\"credential\":{}}")]
    [InlineData("api/v1/enroll", "{\"ceremony\":7,\"credential\":\"x\"}")]
    [InlineData("api/v1/enroll/options", "{\"invite\":\"vi_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}")]
    [InlineData("api/v1/enroll/options", "[1,2,3]")]
    [InlineData("api/v1/login", "{\"ceremony\":\"00000000-0000-0000-0000-000000000000\",\"assertion\":{\"id\":1}}")]
    [InlineData("api/v1/login", "not json")]
    [InlineData("api/v1/login/options", "{\"email\":12}")]
    public async Task Malformed_ceremony_requests_get_a_400_with_an_error_code(string path, string json)
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        using var response = await Server.Client.PostAsync(path, content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.False(string.IsNullOrEmpty(body.GetProperty("error").GetString()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("\"not an object\"")]
    [InlineData("""{"id":"AAAA","rawId":"AAAA","type":"public-key","response":null}""")]
    [InlineData("""{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"AAAA"}}""")]
    public async Task A_real_login_ceremony_answered_with_a_missing_or_partial_assertion_gets_a_400(string? assertion)
    {
        var (ceremony, _) = await Alice.BeginLoginAsync();
        var body = assertion is null ? $$"""{"ceremony":"{{ceremony}}"}""" : $$"""{"ceremony":"{{ceremony}}","assertion":{{assertion}}}""";

        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await Server.Client.PostAsync("api/v1/login", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(ErrorCodes.WebAuthnFailed, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("""{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"AAAA"}}""")]
    public async Task A_real_enrollment_ceremony_answered_with_a_missing_or_partial_credential_gets_a_400(string? credential)
    {
        var (_, started) = await Alice.PostAsync("api/v1/enroll/options", new { invite = await Alice.InviteAsync() });
        var ceremony = started.GetProperty("ceremony").GetString();
        var body = credential is null ? $$"""{"ceremony":"{{ceremony}}"}""" : $$"""{"ceremony":"{{ceremony}}","credential":{{credential}}}""";

        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await Server.Client.PostAsync("api/v1/enroll", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(ErrorCodes.WebAuthnFailed, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_forged_assertion_for_a_real_ceremony_is_refused()
    {
        await Alice.EnrollAsync();
        var (_, started) = await Alice.PostAsync("api/v1/login/options", new { email = (string?)null });
        using var impostor = new SoftwareCredential();
        // The impostor holds its own key for the same RP, never enrolled, and claims the enrolled credential's id.
        impostor.MakeCredential(JsonDocument.Parse($$"""{"rp":{"id":"{{new Uri(Server.Issuer).Host}}"},"user":{"id":"AAAA"},"challenge":"AAAA"}""").RootElement, Alice.Origin);
        var assertion = impostor.GetAssertion(started.GetProperty("options"), Alice.Origin);
        assertion["id"] = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(Alice.Key.CredentialId);
        assertion["rawId"] = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(Alice.Key.CredentialId);

        var (status, body) = await Alice.PostAsync("api/v1/login", new { ceremony = started.GetProperty("ceremony").GetString(), assertion });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(ErrorCodes.WebAuthnFailed, body.GetProperty("error").GetString());
    }

    /// <summary>
    /// <paramref name="assertion"/> with its authenticator data and client data changed as given, then signed again with
    /// <paramref name="key"/>'s private key: the signature is good, so only the server's other checks can refuse it.
    /// </summary>
    private static JsonObject Resign(JsonObject assertion, SoftwareCredential key, Func<byte[], byte[]>? authenticatorData = null, Func<JsonObject, JsonObject>? clientData = null)
    {
        var response = assertion["response"]!.AsObject();
        var data = Base64Url.DecodeFromChars(response["authenticatorData"]!.GetValue<string>());
        var client = JsonNode.Parse(Base64Url.DecodeFromChars(response["clientDataJSON"]!.GetValue<string>()))!.AsObject();
        data = authenticatorData?.Invoke(data) ?? data;
        var clientBytes = System.Text.Encoding.UTF8.GetBytes((clientData?.Invoke(client) ?? client).ToJsonString());
        using var signer = ECDsa.Create();
        signer.ImportPkcs8PrivateKey(Convert.FromBase64String(key.Export().PrivateKey), out _);
        var signature = signer.SignData([.. data, .. SHA256.HashData(clientBytes)], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        response["authenticatorData"] = Base64Url.EncodeToString(data);
        response["clientDataJSON"] = Base64Url.EncodeToString(clientBytes);
        response["signature"] = Base64Url.EncodeToString(signature);
        return assertion;
    }

    /// <summary><paramref name="field"/> of the assertion's response, changed by <paramref name="change"/> after signing.</summary>
    private static JsonObject Tamper(JsonObject assertion, string field, Func<byte[], byte[]> change)
    {
        var response = assertion["response"]!.AsObject();
        response[field] = Base64Url.EncodeToString(change(Base64Url.DecodeFromChars(response[field]!.GetValue<string>())));
        return assertion;
    }

    private static async Task<(HttpStatusCode Status, string? Error)> RefusalAsync(Task<(HttpStatusCode Status, JsonElement Body)> login)
    {
        var (status, body) = await login;
        return (status, body.ValueKind == JsonValueKind.Object && body.TryGetProperty("error", out var error) ? error.GetString() : null);
    }

    [Fact]
    public async Task Login_is_refused_for_authenticator_data_changed_after_signing()
    {
        await Alice.EnrollAsync();

        // Counter pushed up (a cloned key hiding its regression) and the signature left as it was.
        var answer = await RefusalAsync(Alice.LoginAsync(a => Tamper(a, "authenticatorData", d => { d[36] ^= 0x40; return d; })));

        Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.WebAuthnFailed), answer);
    }

    [Fact]
    public async Task Login_is_refused_for_client_data_changed_after_signing()
    {
        await Alice.EnrollAsync();

        // A field no other check reads: only the signature can tell.
        var answer = await RefusalAsync(Alice.LoginAsync(a => Tamper(a, "clientDataJSON",
            d => System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(d).Replace("\"crossOrigin\":false", "\"crossOrigin\":false,\"x\":1", StringComparison.Ordinal)))));

        Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.WebAuthnFailed), answer);
    }

    [Fact]
    public async Task Login_is_refused_for_a_correctly_signed_webauthn_create_client_data()
    {
        await Alice.EnrollAsync();

        var answer = await RefusalAsync(Alice.LoginAsync(a => Resign(a, Alice.Key, clientData: c => { c["type"] = "webauthn.create"; return c; })));

        Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.WebAuthnFailed), answer);
    }

    [Fact]
    public async Task Login_is_refused_for_a_correctly_signed_assertion_without_user_presence()
    {
        await Alice.EnrollAsync();

        var answer = await RefusalAsync(Alice.LoginAsync(a => Resign(a, Alice.Key, authenticatorData: d => { d[32] &= 0xFE; return d; })));

        Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.WebAuthnFailed), answer);
    }

    [Fact]
    public async Task The_resigning_helper_alone_does_not_make_a_login_fail()
    {
        // The control of the tests above: an assertion signed again unchanged logs in.
        await Alice.EnrollAsync();

        var (status, body) = await Alice.LoginAsync(a => Resign(a, Alice.Key));

        Assert.True(status == HttpStatusCode.OK, body.ToString());
    }

    [Fact]
    public async Task An_assertion_for_one_login_ceremony_presented_with_another_is_refused()
    {
        await Alice.EnrollAsync();
        var (_, options) = await Alice.BeginLoginAsync();
        var assertion = Alice.Key.GetAssertion(options, Alice.Origin);
        // Another ceremony, begun by someone else: a login ceremony belongs to no user until it is answered.
        using var bob = new ApiUser(Server, "bob@example.com");
        var (otherCeremony, _) = await bob.BeginLoginAsync();

        var answer = await RefusalAsync(Alice.PostAsync(ApiRoutes.Login, new { ceremony = otherCeremony, assertion }));

        Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.WebAuthnFailed), answer);
    }

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
