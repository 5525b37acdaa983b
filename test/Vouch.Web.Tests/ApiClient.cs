using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Vouch.Authenticators.Software;
using Vouch.Protocol;
using Vouch.Testing;
using Xunit;

namespace Vouch.Web.Tests;

/// <summary>The JSON API as the CLI uses it, with a software key: what the browser's pages must agree with.</summary>
internal static class ApiClient
{
    private static string Origin(InProcessServer server) => new Uri(server.Issuer).GetLeftPart(UriPartial.Authority);

    /// <summary>Enrolls <paramref name="key"/> with the invite <paramref name="code"/>, as <c>vouch enroll</c> does.</summary>
    public static async Task EnrollAsync(InProcessServer server, SoftwareCredential key, string code)
    {
        var started = await PostAsync(server, ApiRoutes.EnrollOptions, new { invite = code });
        var credential = key.MakeCredential(started.GetProperty("options"), Origin(server));
        await PostAsync(server, ApiRoutes.Enroll, new { ceremony = started.GetProperty("ceremony").GetString(), credential });
    }

    /// <summary>Logs in with <paramref name="key"/>, as <c>vouch login</c> does; returns the session's bearer token.</summary>
    public static async Task<string> LoginAsync(InProcessServer server, SoftwareCredential key)
    {
        var started = await PostAsync(server, ApiRoutes.LoginOptions, new { });
        var assertion = key.GetAssertion(started.GetProperty("options"), Origin(server));
        var answer = await PostAsync(server, ApiRoutes.Login, new { ceremony = started.GetProperty("ceremony").GetString(), assertion });
        return answer.GetProperty("session").GetString()!;
    }

    /// <summary>What <c>GET /api/v1/session</c> answers for <paramref name="token"/>.</summary>
    public static async Task<HttpStatusCode> SessionStatusAsync(InProcessServer server, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ApiRoutes.Session.TrimStart('/'));
        request.Headers.Authorization = new("Bearer", token);
        using var response = await server.Client.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<JsonElement> PostAsync(InProcessServer server, string route, object body)
    {
        using var response = await server.Client.PostAsync(route.TrimStart('/'), JsonContent.Create(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{route}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
