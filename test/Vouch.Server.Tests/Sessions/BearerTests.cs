using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;
using Vouch.Protocol;
using Vouch.Server.Persistence;
using Vouch.Server.Sessions;
using Vouch.Server.Tests.WebAuthn;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Sessions;

/// <summary>
/// Every endpoint that takes a bearer session refuses anything that is not a live session of this server (an ID
/// token, a forged or guessed string, a damaged session, another server's session) with 401 <c>invalid_session</c>.
/// </summary>
public sealed class BearerTests : ApiUserTests
{
    public static TheoryData<string, string> Endpoints() => new()
    {
        { "POST", ApiRoutes.Token },
        { "GET", ApiRoutes.Session },
        { "POST", ApiRoutes.Logout },
    };

    private async Task<(HttpStatusCode Status, string? Error, string? Challenge)> SendAsync(string method, string route, string bearer)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), route.TrimStart('/'));
        if (method == "POST") request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + bearer);
        using var response = await Server.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var error = text.Length > 0 && JsonDocument.Parse(text).RootElement.TryGetProperty("error", out var code) ? code.GetString() : null;
        return (response.StatusCode, error, response.Headers.WwwAuthenticate.ToString());
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Anything_but_a_live_session_of_this_server_is_refused_as_an_invalid_session(string method, string route)
    {
        var session = await Alice.EnrollAndLoginAsync();
        var idToken = (await Alice.TokenAsync(session)).Body.GetProperty("id_token").GetString()!;
        await using var other = await InProcessServer.StartAsync(attestation: Vouch.Server.WebAuthn.AttestationPolicy.Any);
        using var otherAlice = new ApiUser(other);
        var otherSession = await otherAlice.EnrollAndLoginAsync();
        // A browser's session of the same user with the same key: it lives in a cookie and is never a bearer.
        string browserSession;
        await using (var db = Server.Get<VouchDbContextFactory>().CreateDbContext())
        {
            var user = await db.Users.SingleAsync(u => u.Email == Alice.Email);
            var key = await db.Credentials.SingleAsync(c => c.UserId == user.Id);
            browserSession = (await Server.Get<SessionService>().CreateAsync(user, key.Id, SessionKinds.Browser, null, CancellationToken.None)).Value!.Token;
        }
        var header = Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""");
        var claims = Base64UrlEncoder.Encode($$"""{"sub":"alice@example.com","iss":"{{Server.Issuer}}"}""");
        var refused = new Dictionary<string, string>
        {
            ["an ID token of this server"] = idToken,
            ["an unsigned JWT"] = $"{header}.{claims}.",
            ["a guessed well-formed session"] = SessionService.TokenPrefix + Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(24)),
            ["the session truncated by one character"] = session[..^1],
            ["the session cut in half"] = session[..(session.Length / 2)],
            ["the session with one more character"] = session + "A",
            ["the session with its last character changed"] = session[..^1] + (session[^1] == 'A' ? 'B' : 'A'),
            ["the session without its prefix"] = session[SessionService.TokenPrefix.Length..],
            ["the session with an upper-case prefix"] = "VS_" + session[SessionService.TokenPrefix.Length..],
            ["the prefix alone"] = SessionService.TokenPrefix,
            ["a session of another server"] = otherSession,
            ["a live browser session of the same user"] = browserSession,
            ["a long string"] = SessionService.TokenPrefix + new string('A', 4000),
            ["non-base64url characters of the right length"] = SessionService.TokenPrefix + new string('%', 32),
        };

        var answers = new List<string>();
        foreach (var (what, bearer) in refused)
        {
            var (status, error, challenge) = await SendAsync(method, route, bearer);
            if (status != HttpStatusCode.Unauthorized || error != ErrorCodes.InvalidSession || challenge != "Bearer error=\"invalid_token\"")
                answers.Add($"{what}: {(int)status} {error} [{challenge}]");
        }
        var (real, _, _) = await SendAsync(method, route, session);

        Assert.Empty(answers);
        Assert.True(real is HttpStatusCode.OK or HttpStatusCode.NoContent, $"the live session itself got {(int)real}");
    }
}
