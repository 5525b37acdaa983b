using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Hosting;

/// <summary>
/// A browser without JavaScript on an in-process server's real port: keeps cookies, reads a page's anti-forgery
/// token, and signs in with an <see cref="ApiUser"/>'s key as the login page's script would.
/// </summary>
internal sealed partial class PageVisitor : IDisposable
{
    private readonly HttpClientHandler _handler = new() { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, UseCookies = true };

    public PageVisitor(InProcessServer server) =>
        Client = new HttpClient(_handler) { BaseAddress = new Uri(server.Issuer.TrimEnd('/') + "/") };

    public HttpClient Client { get; }

    /// <summary>GETs <paramref name="page"/> (which sets the anti-forgery cookie) and returns the token it rendered.</summary>
    public async Task<string> TokenAsync(string page)
    {
        using var response = await Client.GetAsync(page.TrimStart('/'));
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {page}: {(int)response.StatusCode}");
        return TokenInput().Match(html) is { Success: true } match ? WebUtility.HtmlDecode(match.Groups[1].Value)
            : throw new InvalidOperationException($"{page} rendered no anti-forgery token");
    }

    /// <summary>Signs in through <c>/login?handler=Finish</c> with <paramref name="user"/>'s key (it must be enrolled).</summary>
    public async Task SignInAsync(ApiUser user)
    {
        var token = await TokenAsync("/login");
        var (ceremony, options) = await user.BeginLoginAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "login?handler=Finish")
        {
            Content = JsonContent.Create(new { ceremony, assertion = user.Key.GetAssertion(options, user.Origin) }),
        };
        request.Headers.Add("RequestVerificationToken", token);
        using var response = await Client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    public void Dispose()
    {
        Client.Dispose();
        _handler.Dispose();
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]*)\"")]
    private static partial Regex TokenInput();
}
