using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Server.Users;
using Vouch.Authenticators.Software;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.WebAuthn;

/// <summary>Enrollment, login and tokens over the JSON API, with a software authenticator.</summary>
public sealed class CeremonyTests : IAsyncLifetime
{
    private InProcessServer _server = null!;
    private readonly SoftwareCredential _key = new();

    public async Task InitializeAsync() => _server = await InProcessServer.StartAsync(attestation: Vouch.Server.WebAuthn.AttestationPolicy.Any);

    public async Task DisposeAsync()
    {
        _key.Dispose();
        await _server.DisposeAsync();
    }

    private string Origin => new Uri(_server.Issuer).GetLeftPart(UriPartial.Authority);

    private async Task<string> InviteAsync(string email = "alice@example.com") =>
        (await _server.Get<InviteService>().CreateAsync(EmailAddress.TryParse(email)!, "example.com", TimeSpan.FromHours(1), "admin:test", CancellationToken.None)).Code;

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, object body)
    {
        using var response = await _server.Client.PostAsJsonAsync(path, body);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private async Task EnrollAsync(string code)
    {
        var (status, started) = await PostAsync("api/v1/enroll/options", new { invite = code });
        Assert.Equal(HttpStatusCode.OK, status);
        var credential = _key.MakeCredential(started.GetProperty("options"), Origin);
        var (finished, body) = await PostAsync("api/v1/enroll", new { ceremony = started.GetProperty("ceremony").GetString(), credential });
        Assert.True(finished == HttpStatusCode.OK, body.ToString());
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> LoginAsync(Func<JsonObject, JsonObject>? tamper = null, string? ceremony = null)
    {
        var (_, started) = await PostAsync("api/v1/login/options", new { email = "alice@example.com" });
        var assertion = _key.GetAssertion(started.GetProperty("options"), Origin);
        return await PostAsync("api/v1/login", new { ceremony = ceremony ?? started.GetProperty("ceremony").GetString(), assertion = tamper?.Invoke(assertion) ?? assertion });
    }

    [Fact]
    public async Task Enrollment_then_login_gives_a_session_whose_token_jose_verifies()
    {
        await EnrollAsync(await InviteAsync());

        var (status, login) = await LoginAsync();
        Assert.Equal(HttpStatusCode.OK, status);
        var session = login.GetProperty("session").GetString()!;
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/token") { Content = JsonContent.Create(new { }) };
        request.Headers.Authorization = new("Bearer", session);
        using var response = await _server.Client.SendAsync(request);
        var token = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var verdict = await NodePeers.VerifyJwtAsync(token.GetProperty("id_token").GetString()!, _server.JwksUri, _server.Issuer, _server.Settings.Audience);
        Assert.True(verdict.GetProperty("ok").GetBoolean(), verdict.ToString());
        Assert.Equal("alice@example.com", verdict.GetProperty("payload").GetProperty("sub").GetString());
    }

    [Fact]
    public async Task Every_issued_token_is_audited_with_its_jti_and_audience()
    {
        await EnrollAsync(await InviteAsync());
        var (_, login) = await LoginAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/token") { Content = JsonContent.Create(new { }) };
        request.Headers.Authorization = new("Bearer", login.GetProperty("session").GetString());
        using var response = await _server.Client.SendAsync(request);
        var jti = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("jti").GetString()!;

        await using var db = _server.Get<Vouch.Server.Persistence.VouchDbContextFactory>().CreateDbContext();
        var types = db.AuditRecords.OrderBy(r => r.Sequence).Select(r => r.Type).ToList();
        var issued = db.AuditRecords.Single(r => r.Type == AuditEventTypes.TokenIssued);
        var data = JsonDocument.Parse(issued.Data).RootElement;

        Assert.Equal([AuditEventTypes.InviteCreated, AuditEventTypes.Enrolled, AuditEventTypes.LoginSucceeded, AuditEventTypes.TokenIssued], types.Where(t => !t.StartsWith("key.", StringComparison.Ordinal)));
        Assert.Equal(jti, data.GetProperty("jti").GetString());
        Assert.Equal(_server.Settings.Audience, data.GetProperty("aud").GetString());
        Assert.Equal("user:alice@example.com", issued.Actor);
        Assert.DoesNotContain(login.GetProperty("session").GetString()!, string.Join("\n", db.AuditRecords.Select(r => r.Data).ToList()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logout_revokes_the_session_on_the_server()
    {
        await EnrollAsync(await InviteAsync());
        var session = (await LoginAsync()).Body.GetProperty("session").GetString();

        using var logout = new HttpRequestMessage(HttpMethod.Post, "api/v1/logout");
        logout.Headers.Authorization = new("Bearer", session);
        using var loggedOut = await _server.Client.SendAsync(logout);
        using var token = new HttpRequestMessage(HttpMethod.Post, "api/v1/token") { Content = JsonContent.Create(new { }) };
        token.Headers.Authorization = new("Bearer", session);
        using var refused = await _server.Client.SendAsync(token);

        Assert.Equal(HttpStatusCode.NoContent, loggedOut.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(ErrorCodes.SessionRevoked, JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        await using var db = _server.Get<Vouch.Server.Persistence.VouchDbContextFactory>().CreateDbContext();
        Assert.Equal("user:alice@example.com", db.AuditRecords.Single(r => r.Type == AuditEventTypes.SessionRevoked).Actor);
    }

    [Fact]
    public async Task Login_options_do_not_reveal_whether_an_email_is_enrolled()
    {
        await EnrollAsync(await InviteAsync());

        var (_, enrolled) = await PostAsync("api/v1/login/options", new { email = "alice@example.com" });
        var (_, unknown) = await PostAsync("api/v1/login/options", new { email = "nobody@example.com" });

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
            statuses.Add((await PostAsync("api/v1/login/options", new { email = "alice@example.com" })).Status);
        var (status, body) = await PostAsync("api/v1/login/options", new { email = "alice@example.com" });

        Assert.All(statuses.Take(30), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Equal(ErrorCodes.RateLimited, body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task An_invite_used_twice_is_refused()
    {
        var code = await InviteAsync();
        await EnrollAsync(code);

        var (status, body) = await PostAsync("api/v1/enroll/options", new { invite = code });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(ErrorCodes.InvalidInvite, body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_replayed_login_ceremony_is_refused()
    {
        await EnrollAsync(await InviteAsync());
        var (_, started) = await PostAsync("api/v1/login/options", new { email = "alice@example.com" });
        var assertion = _key.GetAssertion(started.GetProperty("options"), Origin);
        var ceremony = started.GetProperty("ceremony").GetString();

        var (first, _) = await PostAsync("api/v1/login", new { ceremony, assertion });
        var (second, body) = await PostAsync("api/v1/login", new { ceremony, assertion });

        Assert.Equal(HttpStatusCode.OK, first);
        Assert.Equal(HttpStatusCode.BadRequest, second);
        Assert.Equal(ErrorCodes.InvalidCeremony, body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task An_assertion_without_user_verification_is_refused_with_the_uniform_error()
    {
        await EnrollAsync(await InviteAsync());
        _key.UserVerified = false;

        var (status, body) = await LoginAsync();

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(ErrorCodes.WebAuthnFailed, body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_lowered_sign_counter_is_refused_and_audited_as_a_clone()
    {
        await EnrollAsync(await InviteAsync());
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync()).Status);
        _key.Counter = 0;

        var (status, body) = await LoginAsync();

        Assert.Equal(ErrorCodes.WebAuthnFailed, body.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        await using var db = _server.Get<Vouch.Server.Persistence.VouchDbContextFactory>().CreateDbContext();
        Assert.Contains(db.AuditRecords, r => r.Type == AuditEventTypes.CloneSuspected);
    }

    [Fact]
    public async Task An_assertion_for_another_origin_is_refused()
    {
        await EnrollAsync(await InviteAsync());
        var (_, started) = await PostAsync("api/v1/login/options", new { email = "alice@example.com" });
        var assertion = _key.GetAssertion(started.GetProperty("options"), "http://evil.localhost:1234");

        var (status, body) = await PostAsync("api/v1/login", new { ceremony = started.GetProperty("ceremony").GetString(), assertion });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(ErrorCodes.WebAuthnFailed, body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_software_authenticator_is_refused_under_the_yubikey_policy()
    {
        await using var strict = await InProcessServer.StartAsync();
        var code = (await strict.Get<InviteService>().CreateAsync(EmailAddress.TryParse("bob@example.com")!, "example.com", TimeSpan.FromHours(1), "admin:test", CancellationToken.None)).Code;
        using var started = await strict.Client.PostAsJsonAsync("api/v1/enroll/options", new { invite = code });
        var options = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement;
        var credential = _key.MakeCredential(options.GetProperty("options"), new Uri(strict.Issuer).GetLeftPart(UriPartial.Authority));

        using var finished = await strict.Client.PostAsJsonAsync("api/v1/enroll", new { ceremony = options.GetProperty("ceremony").GetString(), credential });
        var body = JsonDocument.Parse(await finished.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.BadRequest, finished.StatusCode);
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
        using var response = await _server.Client.PostAsync(path, content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.False(string.IsNullOrEmpty(body.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task A_forged_assertion_for_a_real_ceremony_is_refused()
    {
        await EnrollAsync(await InviteAsync());
        var (_, started) = await PostAsync("api/v1/login/options", new { email = (string?)null });
        using var impostor = new SoftwareCredential();
        // The impostor holds its own key for the same RP, never enrolled, and claims the enrolled credential's id.
        impostor.MakeCredential(JsonDocument.Parse($$"""{"rp":{"id":"{{new Uri(_server.Issuer).Host}}"},"user":{"id":"AAAA"},"challenge":"AAAA"}""").RootElement, Origin);
        var assertion = impostor.GetAssertion(started.GetProperty("options"), Origin);
        assertion["id"] = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(_key.CredentialId);
        assertion["rawId"] = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(_key.CredentialId);

        var (status, body) = await PostAsync("api/v1/login", new { ceremony = started.GetProperty("ceremony").GetString(), assertion });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(ErrorCodes.WebAuthnFailed, body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_token_request_without_a_valid_session_is_refused()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/token") { Content = JsonContent.Create(new { }) };
        request.Headers.Authorization = new("Bearer", "vs_" + new string('A', 32));
        using var response = await _server.Client.SendAsync(request);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(ErrorCodes.InvalidSession, body.GetProperty("error").GetString());
    }
}
