using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Authenticators.Software;
using Vouch.Protocol;
using Xunit;

namespace Vouch.Testing;

/// <summary>
/// A person using an in-process server's JSON API with a software key, as the CLI does: invited by an
/// administrator, enrolls, logs in and asks for tokens. Each step can be taken apart to attack it. The key is a new
/// one (disposed with this user) unless <paramref name="key"/> is given (one exported from a browser, say).
/// </summary>
public sealed class ApiUser(InProcessServer server, string email = "alice@example.com", SoftwareCredential? key = null) : IDisposable
{
    public SoftwareCredential Key { get; } = key ?? new();
    public string Email => email;

    /// <summary>
    /// Whether a login names this user's email (default) or leaves it to the key to say who it is, as
    /// <c>vouch login</c> does.
    /// </summary>
    public bool LogsInByEmail { get; init; } = true;

    /// <summary>The origin the browser (or CLI) reports: the issuer's scheme, host and port.</summary>
    public string Origin => new Uri(server.Issuer).GetLeftPart(UriPartial.Authority);

    /// <summary>An invite code for this user, as <c>vouch-server invite</c> makes it (valid an hour unless told otherwise).</summary>
    public Task<string> InviteAsync(TimeSpan? lifetime = null) => server.InviteAsync(email, lifetime);

    /// <summary>POSTs <paramref name="body"/> as JSON to <paramref name="route"/> (an <see cref="ApiRoutes"/> path), with a session if given.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string route, object body, string? session = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, route.TrimStart('/')) { Content = JsonContent.Create(body) };
        if (session is not null) request.Headers.Authorization = new("Bearer", session);
        using var response = await server.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Enrolls this user's key with <paramref name="code"/> (a fresh invite when null); the enrollment must succeed.</summary>
    public async Task EnrollAsync(string? code = null)
    {
        var (status, started) = await PostAsync(ApiRoutes.EnrollOptions, new { invite = code ?? await InviteAsync() });
        Assert.True(status == HttpStatusCode.OK, started.ToString());
        var credential = Key.MakeCredential(started.GetProperty("options"), Origin);
        var (finished, body) = await PostAsync(ApiRoutes.Enroll, new { ceremony = started.GetProperty("ceremony").GetString(), credential });
        Assert.True(finished == HttpStatusCode.OK, body.ToString());
    }

    /// <summary>Starts a login: the ceremony id and the options for the key.</summary>
    public async Task<(string Ceremony, JsonElement Options)> BeginLoginAsync()
    {
        object body = LogsInByEmail ? new { email } : new { };
        var (status, started) = await PostAsync(ApiRoutes.LoginOptions, body);
        Assert.True(status == HttpStatusCode.OK, started.ToString());
        return (started.GetProperty("ceremony").GetString()!, started.GetProperty("options"));
    }

    /// <summary>A whole login, with the assertion <paramref name="tamper"/>ed and the ceremony replaced if asked.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> LoginAsync(Func<JsonObject, JsonObject>? tamper = null, string? ceremony = null)
    {
        var started = await BeginLoginAsync();
        var assertion = Key.GetAssertion(started.Options, Origin);
        return await PostAsync(ApiRoutes.Login, new { ceremony = ceremony ?? started.Ceremony, assertion = tamper?.Invoke(assertion) ?? assertion });
    }

    /// <summary>Logs in (the login must succeed) and returns the session token.</summary>
    public async Task<string> LoginForSessionAsync()
    {
        var (status, body) = await LoginAsync();
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        return body.GetProperty("session").GetString()!;
    }

    /// <summary>The server with this user enrolled and logged in: returns the session token.</summary>
    public async Task<string> EnrollAndLoginAsync()
    {
        await EnrollAsync();
        return await LoginForSessionAsync();
    }

    /// <summary>Asks for an ID token with <paramref name="session"/>.</summary>
    public Task<(HttpStatusCode Status, JsonElement Body)> TokenAsync(string session) => PostAsync(ApiRoutes.Token, new { }, session);

    /// <summary>Asks whether <paramref name="session"/> is still live (<c>GET /api/v1/session</c>).</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> SessionAsync(string session)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ApiRoutes.Session.TrimStart('/'));
        request.Headers.Authorization = new("Bearer", session);
        using var response = await server.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public void Dispose()
    {
        if (key is null) Key.Dispose();
    }
}
