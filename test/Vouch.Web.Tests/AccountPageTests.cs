using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Vouch.Authenticators.Software;
using Vouch.Server.Audit;
using Vouch.Server.Persistence;
using Vouch.Server.Sessions;
using Vouch.Server.Users;
using Vouch.Server.Web;
using Vouch.Testing;
using Xunit;

namespace Vouch.Web.Tests;

[Collection(SharedChromium.Name)]
public sealed class AccountPageTests(ChromiumFixture chromium)
{
    private const string Email = "ada@example.com";

    [Fact]
    public async Task A_signed_in_user_adds_a_spare_key_renames_it_and_removes_it_each_audited_with_their_email()
    {
        await using var server = await WebServer.StartAsync();
        var (page, plugged) = await SignedInAsync(server);
        // The spare key is another authenticator: the first one is unplugged (it holds the enrolled credential).
        var first = (await server.Get<CredentialService>().ListOwnAsync(await UserIdAsync(server), CancellationToken.None)).Single();
        await plugged.RemoveAsync();
        await VirtualAuthenticator.AddAsync(page);

        await page.GetByRole(AriaRole.Button, new() { Name = "Add a spare key" }).ClickAsync();
        await page.Locator("#account-notice").WaitForAsync(new() { Timeout = 10_000 });
        var keys = await server.Get<CredentialService>().ListOwnAsync(await UserIdAsync(server), CancellationToken.None);
        Assert.Equal(2, keys.Count);
        var spare = keys.Single(k => k.Id != first.Id);
        Assert.Equal(2, await page.Locator("#keys > li").CountAsync());
        await page.ScreenshotAsync("account");

        var card = page.Locator($"li[data-key-id='{spare.Id}']");
        await card.GetByRole(AriaRole.Textbox, new() { Name = "Name" }).FillAsync("Backup in the drawer");
        await card.GetByRole(AriaRole.Button, new() { Name = "Rename" }).ClickAsync();
        await page.Locator("#account-notice").WaitForAsync();
        Assert.Equal("Backup in the drawer", await page.Locator($"li[data-key-id='{spare.Id}'] .key-name").TextContentAsync());
        // The virtual key's AAGUID is no model this build knows: the page shows the AAGUID.
        Assert.Contains(spare.AaGuid.ToString(), await page.Locator($"li[data-key-id='{spare.Id}'] .key-model").TextContentAsync(), StringComparison.Ordinal);

        await page.Locator($"li[data-key-id='{spare.Id}']").GetByRole(AriaRole.Button, new() { Name = "Remove Backup in the drawer" }).ClickAsync();
        await page.Locator("#account-notice").WaitForAsync();
        Assert.Equal(1, await page.Locator("#keys > li").CountAsync());
        Assert.Equal(first.Id, Assert.Single(await server.Get<CredentialService>().ListOwnAsync(await UserIdAsync(server), CancellationToken.None)).Id);

        var audited = await AuditAsync(server);
        Assert.Contains(audited, a => a.Type == AuditEventTypes.InviteCreated && a.Actor == "user:" + Email);
        Assert.Contains(audited, a => a.Type == AuditEventTypes.Enrolled && a.Actor == "user:" + Email && a.Data.Contains(spare.Id, StringComparison.Ordinal));
        Assert.Contains(audited, a => a.Type == AuditEventTypes.CredentialRenamed && a.Actor == "user:" + Email && a.Data.Contains("Backup in the drawer", StringComparison.Ordinal));
        Assert.Contains(audited, a => a.Type == AuditEventTypes.CredentialRevoked && a.Actor == "user:" + Email && a.Data.Contains(spare.Id, StringComparison.Ordinal));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Removing_the_last_key_asks_for_an_explicit_confirmation_first()
    {
        await using var server = await WebServer.StartAsync();
        var (page, _) = await SignedInAsync(server);

        await page.Locator("#keys > li").GetByRole(AriaRole.Button, new() { Name = "Remove unnamed key" }).ClickAsync();
        await page.Locator("#confirm-removal").WaitForAsync();

        Assert.Single(await server.Get<CredentialService>().ListOwnAsync(await UserIdAsync(server), CancellationToken.None));
        await page.ScreenshotAsync("account-confirm-last-key");
        await Accessibility.AssertNoSeriousViolationsAsync(page);

        await page.GetByRole(AriaRole.Button, new() { Name = "Remove my last key" }).ClickAsync();
        // It was the key this browser signed in with: the session ends with it.
        await page.WaitForURLAsync("**/login", new() { Timeout = 10_000 });
        Assert.Empty(await server.Get<CredentialService>().ListOwnAsync(await UserIdAsync(server), CancellationToken.None));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Sign_out_everywhere_ends_the_CLI_session_of_the_key_enrolled_in_the_browser_too()
    {
        await using var server = await WebServer.StartAsync();
        var (page, authenticator) = await SignedInAsync(server);
        // The key the browser enrolled, used from the JSON API as the CLI would: the same key to the server.
        using var key = await authenticator.ExportAsync();
        using var user = new ApiUser(server, Email, key) { LogsInByEmail = false };
        var cli = await user.LoginForSessionAsync();
        Assert.Equal(HttpStatusCode.OK, (await user.SessionAsync(cli)).Status);
        await page.ReloadAsync();
        Assert.Equal(1, await page.Locator("#sessions > li[data-session-kind='cli']").CountAsync());
        Assert.Equal(1, await page.Locator("#sessions > li[data-session-kind='browser']").CountAsync());

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out everywhere" }).ClickAsync();
        await page.WaitForURLAsync("**/login", new() { Timeout = 10_000 });

        Assert.Equal(HttpStatusCode.Unauthorized, (await user.SessionAsync(cli)).Status);
        await page.GotoAsync("/account");
        Assert.Contains("/login", page.Url, StringComparison.Ordinal);
        var revoked = await AuditAsync(server);
        Assert.Equal(2, revoked.Count(a => a.Type == AuditEventTypes.SessionRevoked && a.Actor == "user:" + Email));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Sign_out_everywhere_ends_the_agents_session_so_its_next_credential_token_fails()
    {
        await using var server = await WebServer.StartAsync();
        var (page, authenticator) = await SignedInAsync(server);
        // The published CLI and agent, with the key the browser enrolled (as a software key file).
        using var cli = new CliSandbox();
        using (var key = await authenticator.ExportAsync())
        {
            var state = new SoftwareAuthenticatorState { Credentials = [key.Export()] };
            await using var file = new FileStream(cli.SoftwareKey, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            await System.Text.Json.JsonSerializer.SerializeAsync(file, state);
        }
        var login = await cli.RunAsync("login", "--server", server.Issuer);
        Assert.True(login.ExitCode == 0, login.StandardError);
        var before = await cli.RunAsync("credential", "token");
        Assert.True(before.ExitCode == 0, before.StandardError);

        await page.ReloadAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out everywhere" }).ClickAsync();
        await page.WaitForURLAsync("**/login", new() { Timeout = 10_000 });

        var after = await cli.RunAsync("credential", "token");
        Assert.NotEqual(0, after.ExitCode);
        Assert.Empty(after.StandardOutput);
        Assert.Contains("revoked", after.StandardError, StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_key_enrolled_from_the_CLI_signs_in_on_the_login_page()
    {
        await using var server = await WebServer.StartAsync();
        using var user = new ApiUser(server, Email);
        await user.EnrollAsync(await server.InviteAsync(Email));
        var page = await chromium.Browser.NewPageAsync(server.Issuer);
        var authenticator = await VirtualAuthenticator.AddAsync(page);
        await authenticator.ImportAsync(user.Key);

        await page.SignInAsync();

        Assert.Equal(Email, await page.Locator("#account-email").TextContentAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_removed_key_and_a_disabled_user_are_stopped_at_the_next_request_and_the_login_page_says_why()
    {
        await using var server = await WebServer.StartAsync();
        var (page, _) = await SignedInAsync(server);
        var key = Assert.Single(await server.Get<CredentialService>().ListOwnAsync(await UserIdAsync(server), CancellationToken.None));

        await server.Get<CredentialService>().RevokeAsync(key.Id, "admin:test", CancellationToken.None);
        await page.GotoAsync("/account");
        Assert.Contains("/login", page.Url, StringComparison.Ordinal);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in with security key" }).ClickAsync();
        await page.Locator("#login-problem").WaitForAsync(new() { Timeout = 10_000 });
        Assert.Contains("no longer) registered", await page.Locator("#login-problem").TextContentAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync("login-removed-key");
        await page.Context.CloseAsync();

        // A user disabled while signed in: the next request is refused too.
        var (other, _) = await SignedInAsync(server, "bob@example.com");
        await server.Get<UserService>().DisableAsync(EmailAddress.TryParse("bob@example.com")!, "admin:test", CancellationToken.None);
        await other.GotoAsync("/account");
        Assert.Contains("/login", other.Url, StringComparison.Ordinal);
        await other.Context.CloseAsync();
    }

    [Fact]
    public async Task An_authenticator_that_holds_no_key_cannot_sign_in_and_the_page_says_so()
    {
        await using var server = await WebServer.StartAsync();
        var page = await chromium.Browser.NewPageAsync(server.Issuer);
        var authenticator = await VirtualAuthenticator.AddAsync(page);
        await server.EnrollInBrowserAsync(page, Email);
        await authenticator.ClearAsync();

        await page.GotoAsync("/login");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in with security key" }).ClickAsync();
        await page.Locator("#login-problem").WaitForAsync(new() { Timeout = 30_000 });

        Assert.Contains("holds no Vouch key", await page.Locator("#login-problem").TextContentAsync(), StringComparison.Ordinal);
        Assert.Contains("/login", page.Url, StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_cross_site_form_post_is_refused_and_changes_nothing()
    {
        await using var server = await WebServer.StartAsync();
        var (page, authenticator) = await SignedInAsync(server);
        using var key = await authenticator.ExportAsync();
        using var user = new ApiUser(server, Email, key) { LogsInByEmail = false };
        var cli = await user.LoginForSessionAsync();
        // Another site's page that posts a form to "sign out everywhere" as soon as it loads.
        await page.Context.RouteAsync("http://attacker.test/**", route => route.FulfillAsync(new()
        {
            ContentType = "text/html",
            Body = $"<form id=f method=post action='{server.Issuer}/account?handler=SignOutEverywhere'></form><script>document.getElementById('f').submit()</script>",
        }));

        var landed = page.WaitForURLAsync($"{server.Issuer}/**", new() { Timeout = 10_000 });
        await page.GotoAsync("http://attacker.test/");
        await landed;

        // SameSite=Strict: the browser sent no sign-in cookie, so the post reached nobody's account.
        Assert.Equal(HttpStatusCode.OK, (await user.SessionAsync(cli)).Status);
        await page.GotoAsync("/account");
        Assert.EndsWith("/account", page.Url, StringComparison.Ordinal);

        // And a post that does carry the cookie (a browser without SameSite) but no anti-forgery token is refused.
        var cookie = (await page.Context.CookiesAsync([server.Issuer])).Single(c => c.Name == BrowserSessions.LoopbackCookieName);
        using var forged = new HttpRequestMessage(HttpMethod.Post, "account?handler=SignOutEverywhere") { Content = new FormUrlEncodedContent([]) };
        forged.Headers.Add("Cookie", $"{cookie.Name}={cookie.Value}");
        forged.Headers.Add("Origin", "http://attacker.test");
        using var plain = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = new Uri(server.Issuer + "/") };
        using var response = await plain.SendAsync(forged);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await user.SessionAsync(cli)).Status);
        await using var db = server.Get<VouchDbContextFactory>().CreateDbContext();
        Assert.Empty(await db.Sessions.Where(s => s.RevokedAt != null).ToListAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Every_page_has_no_serious_accessibility_violation_and_fits_a_phone()
    {
        await using var server = await WebServer.StartAsync();
        var page = await chromium.Browser.NewPageAsync(server.Issuer);
        await VirtualAuthenticator.AddAsync(page);
        await page.GotoAsync($"/enroll#code={await server.InviteAsync(Email)}");
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await Accessibility.AssertFitsAPhoneAsync(page);
        await page.SetViewportSizeAsync(1280, 720);
        await page.GetByRole(AriaRole.Button, new() { Name = "Enroll security key" }).ClickAsync();
        await page.Locator("#enrolled").WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = 10_000 });
        await Accessibility.AssertNoSeriousViolationsAsync(page);

        foreach (var path in new[] { "/login", "/account", "/logout" })
        {
            if (path == "/account") await page.SignInAsync();
            else await page.GotoAsync(path);
            await page.SetViewportSizeAsync(1280, 720);
            await Accessibility.AssertNoSeriousViolationsAsync(page);
            await Accessibility.AssertFitsAPhoneAsync(page);
            await page.ScreenshotAsync("phone" + path.Replace('/', '-'));
        }
        await page.Context.CloseAsync();
    }

    /// <summary>A browser with a virtual key, enrolled from an invite link and signed in: on the account page.</summary>
    private async Task<(IPage Page, VirtualAuthenticator Authenticator)> SignedInAsync(InProcessServer server, string email = Email)
    {
        var page = await chromium.Browser.NewPageAsync(server.Issuer);
        var authenticator = await VirtualAuthenticator.AddAsync(page);
        await server.EnrollInBrowserAsync(page, email);
        await page.SignInAsync();
        return (page, authenticator);
    }

    private static async Task<Guid> UserIdAsync(InProcessServer server)
    {
        await using var db = server.Get<VouchDbContextFactory>().CreateDbContext();
        return await db.Users.Where(u => u.Email == Email).Select(u => u.Id).SingleAsync();
    }

    private static async Task<List<AuditRecord>> AuditAsync(InProcessServer server)
    {
        await using var db = server.Get<VouchDbContextFactory>().CreateDbContext();
        return await db.AuditRecords.AsNoTracking().ToListAsync();
    }
}
