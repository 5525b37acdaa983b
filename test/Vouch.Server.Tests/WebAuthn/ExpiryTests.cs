using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Vouch.Authenticators.Software;
using Vouch.Protocol;
using Vouch.Server.Sessions;
using Vouch.Server.WebAuthn;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.WebAuthn;

/// <summary>Everything that expires does, on the server's clock: challenges, invites, sessions; and RP ID binding.</summary>
public sealed class ExpiryTests : ApiUserTests
{
    private readonly FakeTimeProvider _time;

    public ExpiryTests() : this(new FakeTimeProvider(DateTimeOffset.UtcNow)) { }

    private ExpiryTests(FakeTimeProvider time) : base(time) => _time = time;

    /// <summary>POSTs and checks the status; returns the body.</summary>
    private async Task<JsonElement> PostAsync(string path, object body, HttpStatusCode expected, string? session = null)
    {
        var (status, json) = await Alice.PostAsync(path, body, session);
        Assert.True(status == expected, $"{(int)status}: {json}");
        return json;
    }

    [Fact]
    public async Task An_expired_invite_is_refused()
    {
        var code = await Alice.InviteAsync(TimeSpan.FromHours(1));
        _time.Advance(TimeSpan.FromHours(1));

        var error = await PostAsync("api/v1/enroll/options", new { invite = code }, HttpStatusCode.BadRequest);

        Assert.Equal(ErrorCodes.InvalidInvite, error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task An_answer_to_an_expired_challenge_is_refused()
    {
        await Alice.EnrollAsync();
        var started = await PostAsync("api/v1/login/options", new { email = "alice@example.com" }, HttpStatusCode.OK);
        var assertion = Alice.Key.GetAssertion(started.GetProperty("options"), Alice.Origin);
        _time.Advance(CeremonyKinds.Lifetime);

        var error = await PostAsync("api/v1/login", new { ceremony = started.GetProperty("ceremony").GetString(), assertion }, HttpStatusCode.BadRequest);

        Assert.Equal(ErrorCodes.ChallengeExpired, error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_challenge_from_another_ceremony_kind_is_refused()
    {
        var started = await PostAsync("api/v1/enroll/options", new { invite = await Alice.InviteAsync() }, HttpStatusCode.OK);
        var credential = Alice.Key.MakeCredential(started.GetProperty("options"), Alice.Origin);

        // An enrollment ceremony's id presented to the login endpoint.
        var error = await PostAsync("api/v1/login", new { ceremony = started.GetProperty("ceremony").GetString(), assertion = credential }, HttpStatusCode.BadRequest);

        Assert.Equal(ErrorCodes.InvalidCeremony, error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_session_is_refused_after_eight_hours_and_never_extended()
    {
        var session = await Alice.EnrollAndLoginAsync();
        _time.Advance(SessionService.Lifetime - TimeSpan.FromMinutes(1));
        await PostAsync("api/v1/token", new { }, HttpStatusCode.OK, session);

        _time.Advance(TimeSpan.FromMinutes(1));
        var error = await PostAsync("api/v1/token", new { }, HttpStatusCode.Unauthorized, session);

        Assert.Equal(ErrorCodes.SessionExpired, error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_revoked_session_is_refused()
    {
        var session = await Alice.EnrollAndLoginAsync();

        var revoked = await Server.Get<SessionService>().RevokeAsync(null, "alice@example.com", "admin:test", CancellationToken.None);
        var error = await PostAsync("api/v1/token", new { }, HttpStatusCode.Unauthorized, session);

        Assert.Equal(1, revoked);
        Assert.Equal(ErrorCodes.SessionRevoked, error.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("POST", ApiRoutes.Token)]
    [InlineData("GET", ApiRoutes.Session)]
    [InlineData("POST", ApiRoutes.Logout)]
    public async Task An_expired_and_a_revoked_session_are_refused_with_their_own_codes_on_every_bearer_endpoint(string method, string route)
    {
        var expired = await Alice.EnrollAndLoginAsync();
        _time.Advance(SessionService.Lifetime);
        var revoked = await Alice.LoginForSessionAsync();
        // Only live sessions are revoked: the expired one stays expired.
        await Server.Get<SessionService>().RevokeAsync(null, "alice@example.com", "admin:test", CancellationToken.None);

        var expiredAnswer = await SendAsync(method, route, expired);
        var revokedAnswer = await SendAsync(method, route, revoked);

        Assert.Equal((HttpStatusCode.Unauthorized, ErrorCodes.SessionExpired), expiredAnswer);
        Assert.Equal((HttpStatusCode.Unauthorized, ErrorCodes.SessionRevoked), revokedAnswer);
    }

    private async Task<(HttpStatusCode, string?)> SendAsync(string method, string route, string session)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), route.TrimStart('/'));
        if (method == "POST") request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        request.Headers.Authorization = new("Bearer", session);
        using var response = await Server.Client.SendAsync(request);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task An_assertion_made_for_another_rp_id_is_refused()
    {
        await Alice.EnrollAsync();
        var started = await PostAsync("api/v1/login/options", new { email = "alice@example.com" }, HttpStatusCode.OK);
        var options = JsonNode.Parse(started.GetProperty("options").GetRawText())!.AsObject();
        options["rpId"] = "evil.localhost";
        // The same key, answering as if the relying party were evil.localhost (what a phishing site would get).
        using var phished = SoftwareCredential.Import(Alice.Key.Export() with { RpId = "evil.localhost" });
        var assertion = phished.GetAssertion(JsonDocument.Parse(options.ToJsonString()).RootElement, Alice.Origin);

        var error = await PostAsync("api/v1/login", new { ceremony = started.GetProperty("ceremony").GetString(), assertion }, HttpStatusCode.BadRequest);

        Assert.Equal(ErrorCodes.WebAuthnFailed, error.GetProperty("error").GetString());
    }
}
