using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Vouch.Authenticators.Software;
using Vouch.Protocol;
using Vouch.Server.Sessions;
using Vouch.Server.Users;
using Vouch.Server.WebAuthn;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.WebAuthn;

/// <summary>Everything that expires does, on the server's clock: challenges, invites, sessions; and RP ID binding.</summary>
public sealed class ExpiryTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly SoftwareCredential _key = new();
    private InProcessServer _server = null!;

    public async Task InitializeAsync() => _server = await InProcessServer.StartAsync(time: _time, attestation: AttestationPolicy.Any);

    public async Task DisposeAsync()
    {
        _key.Dispose();
        await _server.DisposeAsync();
    }

    private string Origin => new Uri(_server.Issuer).GetLeftPart(UriPartial.Authority);

    private async Task<JsonElement> PostAsync(string path, object body, HttpStatusCode expected, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (bearer is not null) request.Headers.Authorization = new("Bearer", bearer);
        using var response = await _server.Client.SendAsync(request);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {json}");
        return json;
    }

    private async Task<string> InviteAsync(TimeSpan lifetime) =>
        (await _server.Get<InviteService>().CreateAsync(EmailAddress.TryParse("alice@example.com")!, "example.com", lifetime, "admin:test", CancellationToken.None)).Code;

    private async Task EnrollAsync()
    {
        var started = await PostAsync("api/v1/enroll/options", new { invite = await InviteAsync(TimeSpan.FromHours(1)) }, HttpStatusCode.OK);
        var credential = _key.MakeCredential(started.GetProperty("options"), Origin);
        await PostAsync("api/v1/enroll", new { ceremony = started.GetProperty("ceremony").GetString(), credential }, HttpStatusCode.OK);
    }

    private async Task<string> LoginAsync()
    {
        var started = await PostAsync("api/v1/login/options", new { email = "alice@example.com" }, HttpStatusCode.OK);
        var assertion = _key.GetAssertion(started.GetProperty("options"), Origin);
        return (await PostAsync("api/v1/login", new { ceremony = started.GetProperty("ceremony").GetString(), assertion }, HttpStatusCode.OK))
            .GetProperty("session").GetString()!;
    }

    [Fact]
    public async Task An_expired_invite_is_refused()
    {
        var code = await InviteAsync(TimeSpan.FromHours(1));
        _time.Advance(TimeSpan.FromHours(1));

        var error = await PostAsync("api/v1/enroll/options", new { invite = code }, HttpStatusCode.BadRequest);

        Assert.Equal(ErrorCodes.InvalidInvite, error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task An_answer_to_an_expired_challenge_is_refused()
    {
        await EnrollAsync();
        var started = await PostAsync("api/v1/login/options", new { email = "alice@example.com" }, HttpStatusCode.OK);
        var assertion = _key.GetAssertion(started.GetProperty("options"), Origin);
        _time.Advance(CeremonyKinds.Lifetime);

        var error = await PostAsync("api/v1/login", new { ceremony = started.GetProperty("ceremony").GetString(), assertion }, HttpStatusCode.BadRequest);

        Assert.Equal(ErrorCodes.ChallengeExpired, error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_challenge_from_another_ceremony_kind_is_refused()
    {
        var started = await PostAsync("api/v1/enroll/options", new { invite = await InviteAsync(TimeSpan.FromHours(1)) }, HttpStatusCode.OK);
        var credential = _key.MakeCredential(started.GetProperty("options"), Origin);

        // An enrollment ceremony's id presented to the login endpoint.
        var error = await PostAsync("api/v1/login", new { ceremony = started.GetProperty("ceremony").GetString(), assertion = credential }, HttpStatusCode.BadRequest);

        Assert.Equal(ErrorCodes.InvalidCeremony, error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_session_is_refused_after_eight_hours_and_never_extended()
    {
        await EnrollAsync();
        var session = await LoginAsync();
        _time.Advance(SessionService.Lifetime - TimeSpan.FromMinutes(1));
        await PostAsync("api/v1/token", new { }, HttpStatusCode.OK, session);

        _time.Advance(TimeSpan.FromMinutes(1));
        var error = await PostAsync("api/v1/token", new { }, HttpStatusCode.Unauthorized, session);

        Assert.Equal(ErrorCodes.SessionExpired, error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_revoked_session_is_refused()
    {
        await EnrollAsync();
        var session = await LoginAsync();

        var revoked = await _server.Get<SessionService>().RevokeAsync(null, "alice@example.com", "admin:test", CancellationToken.None);
        var error = await PostAsync("api/v1/token", new { }, HttpStatusCode.Unauthorized, session);

        Assert.Equal(1, revoked);
        Assert.Equal(ErrorCodes.SessionRevoked, error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task An_assertion_made_for_another_rp_id_is_refused()
    {
        await EnrollAsync();
        var started = await PostAsync("api/v1/login/options", new { email = "alice@example.com" }, HttpStatusCode.OK);
        var options = JsonNode.Parse(started.GetProperty("options").GetRawText())!.AsObject();
        options["rpId"] = "evil.localhost";
        // The same key, answering as if the relying party were evil.localhost (what a phishing site would get).
        using var phished = SoftwareCredential.Import(_key.Export() with { RpId = "evil.localhost" });
        var assertion = phished.GetAssertion(JsonDocument.Parse(options.ToJsonString()).RootElement, Origin);

        var error = await PostAsync("api/v1/login", new { ceremony = started.GetProperty("ceremony").GetString(), assertion }, HttpStatusCode.BadRequest);

        Assert.Equal(ErrorCodes.WebAuthnFailed, error.GetProperty("error").GetString());
    }
}
