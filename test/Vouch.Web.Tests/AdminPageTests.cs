using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Vouch.Server.Audit;
using Vouch.Server.Persistence;
using Vouch.Server.Users;
using Vouch.Server.Web;
using Vouch.Testing;
using Xunit;

namespace Vouch.Web.Tests;

/// <summary>
/// <c>/admin</c> in real Chromium: Ada enrolled first (so she is the administrator) and signed in; Bob is an ordinary
/// user with his own browser (and virtual key) and, where a test needs it, a CLI session with the same key.
/// </summary>
[Collection(SharedChromium.Name)]
public sealed partial class AdminPageTests(ChromiumFixture chromium)
{
    private const string Ada = "ada@example.com";
    private const string Bob = "bob@example.com";

    /// <summary>A fresh browser context with its own virtual key, <paramref name="email"/> enrolled in it and signed in.</summary>
    private async Task<(IPage Page, VirtualAuthenticator Key)> SignedInAsync(InProcessServer server, string email)
    {
        var page = await chromium.Browser.NewPageAsync(server.Issuer);
        var key = await VirtualAuthenticator.AddAsync(page);
        await server.EnrollInBrowserAsync(page, email);
        await page.SignInAsync();
        return (page, key);
    }

    private static async Task<List<AuditRecord>> AuditAsync(InProcessServer server, string type)
    {
        await using var db = server.Get<VouchDbContextFactory>().CreateDbContext();
        return await db.AuditRecords.AsNoTracking().Where(r => r.Type == type).OrderBy(r => r.Sequence).ToListAsync();
    }

    private static async Task ClickAsync(IPage page, string button)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = button, Exact = true }).ClickAsync();
        await page.Locator("#admin-notice, #admin-problem").First.WaitForAsync(new() { Timeout = 10_000 });
    }

    [Fact]
    public async Task An_administrator_creates_an_invite_and_a_new_user_enrolls_from_its_link()
    {
        await using var server = await WebServer.StartAsync();
        var (admin, _) = await SignedInAsync(server, Ada);

        await admin.GotoAsync("/admin/invites");
        await admin.GetByLabel("Email").FillAsync(Bob);
        await ClickAsync(admin, "Create invite");
        var link = await admin.Locator("#invite-link").InputValueAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Copy link" }).ClickAsync();
        await admin.ScreenshotAsync("admin-invites");

        var bob = await chromium.Browser.NewPageAsync(server.Issuer);
        await VirtualAuthenticator.AddAsync(bob);
        await bob.GotoAsync(link);
        Assert.Equal(Bob, await bob.Locator("#email").TextContentAsync());
        await bob.GetByRole(AriaRole.Button, new() { Name = "Enroll security key" }).ClickAsync();
        await bob.Locator("#enrolled").WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = 10_000 });

        Assert.StartsWith($"{server.Issuer}/enroll#code=vi_", link, StringComparison.Ordinal);
        var users = await server.Get<UserService>().ListAsync(CancellationToken.None);
        Assert.Equal([(Ada, true), (Bob, false)], users.Select(u => (u.Email, u.IsAdmin)));
        var created = (await AuditAsync(server, AuditEventTypes.InviteCreated)).Last();
        Assert.Equal("admin:" + Ada, created.Actor);
        Assert.DoesNotContain(link[(link.IndexOf("vi_", StringComparison.Ordinal))..], created.Data, StringComparison.Ordinal);
        await admin.Context.CloseAsync();
        await bob.Context.CloseAsync();
    }

    [Fact]
    public async Task An_administrator_disables_a_user_whose_browser_and_cli_sessions_end_at_once()
    {
        await using var server = await WebServer.StartAsync();
        var (admin, _) = await SignedInAsync(server, Ada);
        var (bob, bobKey) = await SignedInAsync(server, Bob);
        using var exported = await bobKey.ExportAsync();
        using var user = new ApiUser(server, Bob, exported) { LogsInByEmail = false };
        var cli = await user.LoginForSessionAsync();
        Assert.Equal(HttpStatusCode.OK, (await user.SessionAsync(cli)).Status);

        await admin.GotoAsync("/admin");
        await ClickAsync(admin, $"Disable {Bob}");

        Assert.Contains($"Disabled {Bob}; 2 live sessions ended.", await admin.Locator("#admin-notice").TextContentAsync(), StringComparison.Ordinal);
        Assert.StartsWith("Disabled", await admin.Locator($"li[data-email='{Bob}'] .user-state").TextContentAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await user.SessionAsync(cli)).Status);
        await bob.GotoAsync("/account");
        Assert.Contains("/login", bob.Url, StringComparison.Ordinal);
        Assert.Equal("admin:" + Ada, (await AuditAsync(server, AuditEventTypes.UserDisabled)).Single().Actor);
        Assert.Equal(2, (await AuditAsync(server, AuditEventTypes.SessionRevoked)).Count(r => r.Actor == "admin:" + Ada));
        await admin.ScreenshotAsync("admin-users");
        await admin.Context.CloseAsync();
        await bob.Context.CloseAsync();
    }

    [Fact]
    public async Task An_administrator_revokes_a_key_and_finds_the_actions_on_the_audit_page_by_event()
    {
        await using var server = await WebServer.StartAsync();
        var (admin, _) = await SignedInAsync(server, Ada);
        var (bob, _) = await SignedInAsync(server, Bob);
        var bobKey = (await server.Get<CredentialService>().ListAsync(EmailAddress.TryParse(Bob), CancellationToken.None)).Value!.Single();

        await admin.GotoAsync("/admin/keys");
        await ClickAsync(admin, $"Revoke this key of {Bob}");
        await admin.ScreenshotAsync("admin-keys");
        await admin.GotoAsync("/admin");
        await ClickAsync(admin, $"Promote {Bob} to administrator");

        await admin.GotoAsync("/admin/audit");
        await admin.SelectOptionAsync("#type", AuditEventTypes.CredentialRevoked);
        await admin.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await admin.WaitForURLAsync("**type=credential.revoked**");
        var revoked = admin.Locator("#audit > li");
        Assert.Equal(1, await revoked.CountAsync());
        Assert.Equal("admin:" + Ada, await revoked.Locator(".audit-actor").TextContentAsync());
        Assert.Contains(bobKey.Id, await revoked.Locator(".audit-data").TextContentAsync(), StringComparison.Ordinal);
        await admin.ScreenshotAsync("admin-audit");

        await admin.SelectOptionAsync("#type", AuditEventTypes.UserPromoted);
        await admin.GetByLabel("Person or actor").FillAsync(Bob);
        await admin.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await admin.WaitForURLAsync("**type=user.promoted**");
        Assert.Equal(["user.promoted"], await admin.Locator("#audit .audit-type").AllTextContentsAsync());

        // Bob's browser session was opened with the revoked key: it ended with it.
        await bob.GotoAsync("/account");
        Assert.Contains("/login", bob.Url, StringComparison.Ordinal);
        await admin.Context.CloseAsync();
        await bob.Context.CloseAsync();
    }

    [Fact]
    public async Task An_administrator_ends_one_cli_session_and_the_users_other_sessions_stay()
    {
        await using var server = await WebServer.StartAsync();
        var (admin, _) = await SignedInAsync(server, Ada);
        var (bob, bobKey) = await SignedInAsync(server, Bob);
        using var exported = await bobKey.ExportAsync();
        using var user = new ApiUser(server, Bob, exported) { LogsInByEmail = false };
        var cli = await user.LoginForSessionAsync();

        await admin.GotoAsync("/admin/sessions");
        var cliCard = admin.Locator("#sessions > li").Filter(new() { HasText = Bob }).Filter(new() { HasText = "Command line" });
        await cliCard.GetByRole(AriaRole.Button, new() { Name = $"End session of {Bob}" }).ClickAsync();
        await admin.Locator("#admin-notice").WaitForAsync(new() { Timeout = 10_000 });

        Assert.Equal(HttpStatusCode.Unauthorized, (await user.SessionAsync(cli)).Status);
        Assert.Equal(200, (await bob.GotoAsync("/account"))!.Status);
        Assert.EndsWith("/account", bob.Url, StringComparison.Ordinal);
        Assert.Equal(["Browser", "Browser"], await admin.Locator("#sessions .session-kind").AllTextContentsAsync());
        Assert.Equal("admin:" + Ada, (await AuditAsync(server, AuditEventTypes.SessionRevoked)).Single().Actor);
        await admin.ScreenshotAsync("admin-sessions");
        await admin.Context.CloseAsync();
        await bob.Context.CloseAsync();
    }

    [Fact]
    public async Task The_audit_page_pages_back_through_older_records_with_the_filters_kept()
    {
        await using var server = await WebServer.StartAsync();
        var (admin, _) = await SignedInAsync(server, Ada);
        var audit = server.Get<AuditLog>();
        for (var n = 0; n < 60; n++)
            await audit.WriteAsync(CancellationToken.None, new AuditEntry { Type = AuditEventTypes.TokenIssued, Actor = "user:" + Ada });

        await admin.GotoAsync("/admin/audit?type=token.issued");
        var first = await admin.Locator("#audit > li").EvaluateAllAsync<long[]>("items => items.map(i => Number(i.dataset.sequence))");
        await admin.Locator("#audit-older").ClickAsync();
        await admin.WaitForURLAsync("**before=**");
        var second = await admin.Locator("#audit > li").EvaluateAllAsync<long[]>("items => items.map(i => Number(i.dataset.sequence))");

        Assert.Equal(50, first.Length);
        Assert.Equal(10, second.Length);
        Assert.True(first.Zip(first.Skip(1)).All(p => p.First > p.Second));
        Assert.True(first[^1] > second[0]);
        Assert.Equal(0, await admin.Locator("#audit-older").CountAsync());
        Assert.Equal(["token.issued"], (await admin.Locator("#audit .audit-type").AllTextContentsAsync()).Distinct());
        await admin.Context.CloseAsync();
    }

    [Fact]
    public async Task A_signed_in_user_who_is_not_an_administrator_gets_403_and_one_not_signed_in_is_sent_to_login()
    {
        await using var server = await WebServer.StartAsync();
        var (admin, _) = await SignedInAsync(server, Ada);
        var (bob, _) = await SignedInAsync(server, Bob);

        var forbidden = await bob.GotoAsync("/admin/invites");
        var stranger = await chromium.Browser.NewPageAsync(server.Issuer);
        await stranger.GotoAsync("/admin/audit");

        Assert.Equal(403, forbidden!.Status);
        Assert.Equal("Not allowed", await bob.Locator("h1").TextContentAsync());
        await bob.ScreenshotAsync("admin-forbidden");
        await Accessibility.AssertNoSeriousViolationsAsync(bob);
        Assert.Contains("/login?returnUrl=%2Fadmin%2Faudit", stranger.Url, StringComparison.Ordinal);
        await admin.Context.CloseAsync();
        await bob.Context.CloseAsync();
        await stranger.Context.CloseAsync();
    }

    [Fact]
    public async Task An_administrator_demoted_meanwhile_is_refused_on_the_next_request()
    {
        await using var server = await WebServer.StartAsync();
        var (admin, _) = await SignedInAsync(server, Ada);
        var (bob, _) = await SignedInAsync(server, Bob);
        Assert.Equal(200, (await admin.GotoAsync("/admin"))!.Status);

        var users = server.Get<UserService>();
        await users.PromoteAsync(EmailAddress.TryParse(Bob)!, "admin:test", CancellationToken.None);
        await users.DemoteAsync(EmailAddress.TryParse(Ada)!, "admin:test", CancellationToken.None);

        Assert.Equal(403, (await admin.GotoAsync("/admin"))!.Status);
        Assert.Equal(200, (await bob.GotoAsync("/admin"))!.Status);
        await admin.Context.CloseAsync();
        await bob.Context.CloseAsync();
    }

    [Fact]
    public async Task A_cross_site_form_post_to_an_admin_action_is_refused_and_changes_nothing()
    {
        await using var server = await WebServer.StartAsync();
        var (admin, _) = await SignedInAsync(server, Ada);
        var (bob, _) = await SignedInAsync(server, Bob);
        // Another site's page that posts "disable Bob" to the console as soon as it loads, in the administrator's browser.
        await admin.Context.RouteAsync("http://attacker.test/**", route => route.FulfillAsync(new()
        {
            ContentType = "text/html",
            Body = $"<form id=f method=post action='{server.Issuer}/admin?handler=Disable'><input name=email value='{Bob}'></form>" +
                   "<script>document.getElementById('f').submit()</script>",
        }));

        var landed = admin.WaitForURLAsync($"{server.Issuer}/**", new() { Timeout = 10_000 });
        await admin.GotoAsync("http://attacker.test/");
        await landed;

        // SameSite=Strict: no sign-in cookie went with it, so it reached no administrator.
        Assert.Null((await server.Get<UserService>().ListAsync(CancellationToken.None)).Single(u => u.Email == Bob).DisabledAt);

        // A post that carries the administrator's cookie (a browser without SameSite) but no anti-forgery token: 400.
        var cookie = (await admin.Context.CookiesAsync([server.Issuer])).Single(c => c.Name == BrowserSessions.LoopbackCookieName);
        using var forged = new HttpRequestMessage(HttpMethod.Post, "admin?handler=Disable") { Content = new FormUrlEncodedContent([new("email", Bob)]) };
        forged.Headers.Add("Cookie", $"{cookie.Name}={cookie.Value}");
        forged.Headers.Add("Origin", "http://attacker.test");
        forged.Headers.Add("Accept", "text/html");
        using var plain = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = new Uri(server.Issuer + "/") };
        using var response = await plain.SendAsync(forged);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("This request could not be handled", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null((await server.Get<UserService>().ListAsync(CancellationToken.None)).Single(u => u.Email == Bob).DisabledAt);
        Assert.Empty(await AuditAsync(server, AuditEventTypes.UserDisabled));
        await admin.Context.CloseAsync();
        await bob.Context.CloseAsync();
    }

    [Fact]
    public async Task Every_admin_page_has_no_serious_accessibility_violation_and_fits_a_phone()
    {
        await using var server = await WebServer.StartAsync();
        var (admin, _) = await SignedInAsync(server, Ada);
        await server.InviteAsync("cy@example.com");

        foreach (var (path, name) in new[]
                 {
                     ("/admin", "admin-users"), ("/admin/invites", "admin-invites-list"), ("/admin/keys", "admin-keys-list"),
                     ("/admin/sessions", "admin-sessions"), ("/admin/audit", "admin-audit-all"), ("/admin/signing-keys", "admin-signing-keys"),
                 })
        {
            Assert.Equal(200, (await admin.GotoAsync(path))!.Status);
            await admin.SetViewportSizeAsync(1280, 800);
            await Accessibility.AssertNoSeriousViolationsAsync(admin);
            await Accessibility.AssertFitsAPhoneAsync(admin);
            await admin.ScreenshotAsync(name + "-phone");
        }
        await admin.GotoAsync("/admin/signing-keys");
        Assert.Equal(["next", "current"], await admin.Locator("#signing-keys .key-status").AllTextContentsAsync());
        Assert.DoesNotContain("PRIVATE", await admin.ContentAsync(), StringComparison.OrdinalIgnoreCase);
        await admin.Context.CloseAsync();
    }
}
