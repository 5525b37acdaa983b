using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Vouch.Server.Persistence;
using Vouch.Server.Sessions;
using Vouch.Server.Web;
using Vouch.Testing;
using Xunit;

namespace Vouch.Web.Tests;

[Collection(SharedChromium.Name)]
public sealed class SignInPageTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task A_user_signs_in_with_the_key_enrolled_in_the_browser_and_gets_a_browser_session()
    {
        await using var server = await WebServer.StartAsync();
        var page = await chromium.Browser.NewPageAsync(server.Issuer);
        await VirtualAuthenticator.AddAsync(page);
        await server.EnrollInBrowserAsync(page, "ada@example.com");

        await page.GotoAsync("/login");
        await page.ScreenshotAsync("login");
        await page.SignInAsync();

        Assert.Contains("ada@example.com", await page.Locator("main").TextContentAsync(), StringComparison.Ordinal);
        await using var db = server.Get<VouchDbContextFactory>().CreateDbContext();
        var session = Assert.Single(await db.Sessions.ToListAsync());
        Assert.Equal(SessionKinds.Browser, session.Kind);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_sign_in_cookie_is_HttpOnly_SameSite_Strict_for_8_hours_and_named_vouch_on_loopback_http()
    {
        await using var server = await WebServer.StartAsync();
        var page = await chromium.Browser.NewPageAsync(server.Issuer);
        await VirtualAuthenticator.AddAsync(page);
        await server.EnrollInBrowserAsync(page, "ada@example.com");
        // What the server itself sent: Chromium re-bases a cookie's Expires on the response's Date header and the
        // browser's clock, which drifted by 18-65 s on busy machines, so the expiry is read from the header.
        var responses = new List<IResponse>();
        page.Response += (_, response) => responses.Add(response);

        await page.SignInAsync();

        var setCookies = new List<string>();
        foreach (var response in responses) setCookies.AddRange(await response.HeaderValuesAsync("set-cookie"));

        var cookies = await page.Context.CookiesAsync([server.Issuer]);
        var cookie = Assert.Single(cookies, c => c.Name == BrowserSessions.LoopbackCookieName);
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.Equal("/", cookie.Path);
        // Loopback http: a Secure cookie would never be sent back, and __Host- demands Secure.
        Assert.False(cookie.Secure);
        // The cookie ends when its session ends, 8 hours after it began.
        await using (var db = server.Get<VouchDbContextFactory>().CreateDbContext())
        {
            var session = Assert.Single(await db.Sessions.ToListAsync());
            Assert.Equal(SessionService.Lifetime, session.ExpiresAt - session.CreatedAt);
            var sent = Assert.Single(setCookies, c => c.StartsWith(BrowserSessions.LoopbackCookieName + "=", StringComparison.Ordinal));
            var expires = sent.Split(';').Select(a => a.Trim()).Single(a => a.StartsWith("expires=", StringComparison.OrdinalIgnoreCase));
            Assert.Equal(session.ExpiresAt.ToUnixTimeSeconds(), DateTimeOffset.Parse(expires["expires=".Length..], System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeSeconds());
            Assert.InRange(DateTimeOffset.FromUnixTimeSeconds((long)cookie.Expires), session.ExpiresAt - TimeSpan.FromMinutes(5), session.ExpiresAt + TimeSpan.FromMinutes(5));
        }
        Assert.DoesNotContain(cookies, c => c.Name.StartsWith("__Host-", StringComparison.Ordinal));
        Assert.Contains(cookies, c => c.Name == BrowserSessions.LoopbackAntiforgeryCookieName && c.HttpOnly && c.SameSite == SameSiteAttribute.Strict);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task On_an_https_issuer_the_cookies_are_Secure_and_Host_prefixed()
    {
        // Behind a TLS-terminating proxy that this server trusts (X-Forwarded-Proto: https).
        await using var server = await InProcessServer.StartAsync(configure: settings => settings with
        {
            Oidc = settings.Oidc with { Issuer = "https://vouch.example.com" },
            TrustedProxies = [System.Net.IPNetwork.Parse("127.0.0.1/32")],
        });

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"{server.Settings.Listen}/login"));
        request.Headers.Add("X-Forwarded-Proto", "https");
        using var response = await server.Client.SendAsync(request);

        var setCookies = response.Headers.GetValues("Set-Cookie").ToList();
        var antiforgery = Assert.Single(setCookies, c => c.StartsWith(BrowserSessions.SecureAntiforgeryCookieName + "=", StringComparison.Ordinal));
        Assert.Contains("; secure", antiforgery, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; path=/", antiforgery, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("domain=", antiforgery, StringComparison.OrdinalIgnoreCase);
        var options = server.Get<Microsoft.Extensions.Options.IOptionsMonitor<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions>>()
            .Get(BrowserSessions.Scheme);
        Assert.Equal(BrowserSessions.SecureCookieName, options.Cookie.Name);
        Assert.Equal(Microsoft.AspNetCore.Http.CookieSecurePolicy.Always, options.Cookie.SecurePolicy);

        // A plain http request that reaches the server directly is not an error of the server's (never a 500).
        using var direct = await server.Client.GetAsync(new Uri($"{server.Settings.Listen}/login"));
        Assert.Equal(HttpStatusCode.OK, direct.StatusCode);
    }

    [Fact]
    public async Task A_page_that_needs_sign_in_redirects_to_login_with_a_local_return_url_and_comes_back()
    {
        await using var server = await WebServer.StartAsync();
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(server.Issuer) };

        using var response = await client.GetAsync("/account?tab=keys");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/login?returnUrl=%2Faccount%3Ftab%3Dkeys", response.Headers.Location!.PathAndQuery);

        var page = await chromium.Browser.NewPageAsync(server.Issuer);
        await VirtualAuthenticator.AddAsync(page);
        await server.EnrollInBrowserAsync(page, "ada@example.com");
        await page.SignInAsync("/login?returnUrl=%2Faccount%3Ftab%3Dkeys");
        Assert.EndsWith("/account?tab=keys", page.Url, StringComparison.Ordinal);

        // Another site as returnUrl is ignored: the account page instead.
        await page.GotoAsync("/login?returnUrl=https%3A%2F%2Fevil.example%2F");
        Assert.EndsWith("/account", page.Url, StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Signing_out_ends_the_browser_session_in_the_database()
    {
        await using var server = await WebServer.StartAsync();
        var page = await chromium.Browser.NewPageAsync(server.Issuer);
        await VirtualAuthenticator.AddAsync(page);
        await server.EnrollInBrowserAsync(page, "ada@example.com");
        await page.SignInAsync();

        await page.Locator("#sign-out").ClickAsync();
        await page.WaitForURLAsync("**/login", new() { Timeout = 10_000 });

        await using var db = server.Get<VouchDbContextFactory>().CreateDbContext();
        var session = Assert.Single(await db.Sessions.ToListAsync());
        Assert.Equal("user:ada@example.com", session.RevokedBy);
        await page.GotoAsync("/account");
        Assert.Contains("/login", page.Url, StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }
}
