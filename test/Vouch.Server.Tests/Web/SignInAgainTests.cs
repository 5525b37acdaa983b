using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Server.Persistence;
using Vouch.Server.Sessions;
using Vouch.Server.Tests.WebAuthn;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Web;

/// <summary>
/// Security review L6: signing in again in a browser whose cookie is still live ends the session that cookie named
/// (audited), rather than leaving it usable until it expires. The browser is an HttpClient with a cookie jar, posting
/// to <c>/login?handler=Finish</c> as the page's script does.
/// </summary>
public sealed partial class SignInAgainTests : ApiUserTests
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();

    private static async Task<string> TokenOnAsync(HttpClient browser, string page)
    {
        var html = await browser.GetStringAsync(page);
        return AntiforgeryToken().Match(html) is { Success: true } match ? match.Groups[1].Value : throw new InvalidOperationException($"no anti-forgery token on {page}");
    }

    private async Task SignInAsync(HttpClient browser, string antiforgery)
    {
        var (ceremony, options) = await Alice.BeginLoginAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "login?handler=Finish")
        {
            Content = JsonContent.Create(new { ceremony, assertion = Alice.Key.GetAssertion(options, Alice.Origin) }),
        };
        request.Headers.Add("RequestVerificationToken", antiforgery);
        using var response = await browser.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    private async Task<List<SessionRecord>> BrowserSessionsAsync()
    {
        await using var db = Server.Get<VouchDbContextFactory>().CreateDbContext();
        return await db.Sessions.AsNoTracking().Where(s => s.Kind == SessionKinds.Browser).OrderBy(s => s.CreatedAt).ToListAsync();
    }

    [Fact]
    public async Task Signing_in_again_in_the_same_browser_ends_its_previous_session_audited()
    {
        await Alice.EnrollAsync();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = new Uri(Server.Issuer + "/"),
        };
        await SignInAsync(browser, await TokenOnAsync(browser, "login"));
        var first = Assert.Single(await BrowserSessionsAsync());

        // Signed in, the browser's pages carry tokens for the signed-in user; with one, it signs in once more.
        await SignInAsync(browser, await TokenOnAsync(browser, "account"));

        var sessions = await BrowserSessionsAsync();
        Assert.Equal(2, sessions.Count);
        Assert.Equal(first.Id, sessions[0].Id);
        Assert.NotNull(sessions[0].RevokedAt);
        Assert.Equal("user:alice@example.com", sessions[0].RevokedBy);
        Assert.Null(sessions[1].RevokedAt);
        await using var db = Server.Get<VouchDbContextFactory>().CreateDbContext();
        var revoked = await db.AuditRecords.AsNoTracking().SingleAsync(r => r.Type == AuditEventTypes.SessionRevoked);
        Assert.Contains(first.Id.ToString(), revoked.Data, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("account")).StatusCode);
    }
}
