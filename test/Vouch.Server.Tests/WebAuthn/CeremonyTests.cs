using System.Net;
using System.Text.Json;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.WebAuthn;

/// <summary>Enrollment, login and tokens over the JSON API, with a software authenticator.</summary>
public sealed partial class CeremonyTests : ApiUserTests
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
}
