using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;
using Vouch.Server.Users;
using Vouch.Server.Web;
using Vouch.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Vouch.Web.Tests;

[Collection(SharedChromium.Name)]
public sealed class EnrollPageTests(ChromiumFixture chromium, ITestOutputHelper output)
{
    [Fact]
    public async Task A_new_user_enrolls_a_key_from_the_invite_link_in_the_browser()
    {
        await using var server = await WebServer.StartAsync();
        var code = await server.InviteAsync("ada@example.com");
        var page = await chromium.Browser.NewPageAsync(server.Issuer);
        var authenticator = await VirtualAuthenticator.AddAsync(page);

        var response = await page.GotoAsync($"/enroll#code={code}");
        Assert.Equal(200, response!.Status);
        Assert.Equal("ada@example.com", await page.Locator("#email").TextContentAsync());
        // Read once, then gone from the address bar (and this history entry): the fragment never reaches the server.
        await page.WaitForURLAsync($"{server.Issuer}/enroll");
        await page.ScreenshotAsync("enroll-invite");
        var clock = Stopwatch.StartNew();
        await page.GetByRole(AriaRole.Button, new() { Name = "Enroll security key" }).ClickAsync();
        await page.Locator("#enrolled").WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = 10_000 });
        output.WriteLine($"enrolled in the browser in {clock.ElapsedMilliseconds} ms");
        await page.ScreenshotAsync("enroll-done");

        Assert.Contains($"vouch login --server {server.Issuer}", await page.Locator("#enrolled").TextContentAsync(), StringComparison.Ordinal);
        var held = Assert.Single(await authenticator.CredentialsAsync());
        Assert.True(held.GetProperty("isResidentCredential").GetBoolean());
        var stored = await server.Get<CredentialService>().ListAsync(EmailAddress.TryParse("ada@example.com"), CancellationToken.None);
        var credential = Assert.Single(stored.Value!);
        Assert.Equal(Convert.FromBase64String(held.GetProperty("credentialId").GetString()!), Convert.FromHexString(credential.Id));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_used_invite_link_says_so_and_offers_no_button()
    {
        await using var server = await WebServer.StartAsync();
        var code = await server.InviteAsync("bob@example.com");
        var page = await chromium.Browser.NewPageAsync(server.Issuer);
        await VirtualAuthenticator.AddAsync(page);
        await page.GotoAsync($"/enroll#code={code}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Enroll security key" }).ClickAsync();
        await page.Locator("#enrolled").WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = 10_000 });

        await page.GotoAsync($"/enroll#code={code}");

        Assert.Contains("already used", await page.Locator("#invite-problem").TextContentAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await page.GetByRole(AriaRole.Button).CountAsync());
        await page.ScreenshotAsync("enroll-used-invite");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_expired_invite_link_says_so()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await WebServer.StartAsync(time);
        var code = await server.InviteAsync("cy@example.com", lifetime: TimeSpan.FromHours(1));
        time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        var page = await chromium.Browser.NewPageAsync(server.Issuer);

        await page.GotoAsync($"/enroll#code={code}");

        Assert.Contains("expired", await page.Locator("#invite-problem").TextContentAsync(), StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_ceremony_the_key_does_not_confirm_shows_a_message_and_enrolls_nothing()
    {
        await using var server = await WebServer.StartAsync();
        var code = await server.InviteAsync("dee@example.com");
        var page = await chromium.Browser.NewPageAsync(server.Issuer);
        // A key that cannot verify its user refuses a ceremony that requires it: the browser reports NotAllowedError.
        var authenticator = await VirtualAuthenticator.AddAsync(page, isUserVerified: false);
        await page.GotoAsync($"/enroll#code={code}");

        await page.GetByRole(AriaRole.Button, new() { Name = "Enroll security key" }).ClickAsync();
        await page.Locator("#enroll-problem").WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = 10_000 });

        Assert.Contains("did not confirm", await page.Locator("#enroll-problem").TextContentAsync(), StringComparison.Ordinal);
        Assert.True(await page.Locator("#enrolled").IsHiddenAsync());
        Assert.Empty(await authenticator.CredentialsAsync());
        var stored = await server.Get<CredentialService>().ListAsync(EmailAddress.TryParse("dee@example.com"), CancellationToken.None);
        Assert.Empty(stored.Value ?? []);
        await page.ScreenshotAsync("enroll-cancelled");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_enroll_page_has_a_strict_content_security_policy_and_no_inline_script()
    {
        await using var server = await WebServer.StartAsync();

        using var response = await server.Client.GetAsync("enroll");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(WebPages.ContentSecurityPolicy, Assert.Single(response.Headers.GetValues("Content-Security-Policy")));
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain(" style=", html, StringComparison.Ordinal);
        Assert.Contains("<script src=\"/js/webauthn.js\"></script>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_old_query_link_is_moved_to_the_fragment_at_once_and_still_enrolls()
    {
        await using var server = await WebServer.StartAsync();
        var code = await server.InviteAsync("fay@example.com");

        // The redirect itself: to the fragment, relative (an issuer with a path keeps it), kept by no cache.
        using var direct = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.Client.BaseAddress };
        using var redirect = await direct.GetAsync($"enroll?code={code}");
        Assert.Equal(302, (int)redirect.StatusCode);
        Assert.Equal($"enroll#code={code}", redirect.Headers.Location!.OriginalString);
        Assert.True(redirect.Headers.CacheControl!.NoStore);
        var page = await chromium.Browser.NewPageAsync(server.Issuer);
        var authenticator = await VirtualAuthenticator.AddAsync(page);
        await page.GotoAsync($"/enroll?code={code}");

        Assert.Equal("fay@example.com", await page.Locator("#email").TextContentAsync());
        await page.WaitForURLAsync($"{server.Issuer}/enroll");
        await page.GetByRole(AriaRole.Button, new() { Name = "Enroll security key" }).ClickAsync();
        await page.Locator("#enrolled").WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = 10_000 });
        Assert.Single(await authenticator.CredentialsAsync());
        Assert.Contains("fay@example.com", await page.Locator("#enrolled-for").TextContentAsync(), StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_lookup_needs_the_pages_anti_forgery_token_and_says_nothing_of_an_unknown_code()
    {
        await using var server = await WebServer.StartAsync();
        var code = await server.InviteAsync("gus@example.com");

        using var forged = await server.Client.PostAsync("enroll?handler=Lookup",
            new StringContent($$"""{"invite":"{{code}}"}""", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(400, (int)forged.StatusCode);
        Assert.DoesNotContain("gus@example.com", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var page = await chromium.Browser.NewPageAsync(server.Issuer);
        await page.GotoAsync("/enroll#code=vi_unknown");
        Assert.Contains("not valid", await page.Locator("#invite-problem").TextContentAsync(), StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }
}
