using Microsoft.Playwright;
using Vouch.Server.Oidc;
using Vouch.Server.WebAuthn;
using Vouch.Testing;

namespace Vouch.Web.Tests;

/// <summary>
/// The server in process at <c>http://localhost:PORT</c> (a browser's WebAuthn needs a host name as RP ID, never an
/// IP address; loopback http is a secure context), accepting any attestation (the virtual authenticator's is none).
/// </summary>
internal static class WebServer
{
    public static Task<InProcessServer> StartAsync(TimeProvider? time = null) => InProcessServer.StartAsync(time: time, configure: settings =>
    {
        var port = new Uri(settings.Listen).Port;
        var issuer = $"http://localhost:{port}";
        return settings with
        {
            Oidc = settings.Oidc with { Issuer = issuer, Audience = $"localhost:{port}" },
            WebAuthn = WebAuthnOptions.ForIssuer(issuer, AttestationPolicy.Any),
        };
    });

    /// <summary>
    /// Enrolls <paramref name="email"/> from an invite link in <paramref name="page"/> (whose virtual key then holds
    /// the credential), as a new user does.
    /// </summary>
    public static async Task EnrollInBrowserAsync(this InProcessServer server, IPage page, string email)
    {
        var code = await server.InviteAsync(email);
        await page.GotoAsync($"/enroll#code={code}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Enroll security key" }).ClickAsync();
        await page.Locator("#enrolled").WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = 10_000 });
    }

    /// <summary>Signs in on <c>/login</c> with the page's virtual key and waits for the account page.</summary>
    public static async Task SignInAsync(this IPage page, string path = "/login")
    {
        await page.GotoAsync(path);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in with security key" }).ClickAsync();
        await page.WaitForURLAsync("**/account**", new() { Timeout = 10_000 });
    }

    /// <summary>Saves a full-page screenshot as <c>TestResults/screenshots/NAME.png</c> in the repository.</summary>
    public static async Task ScreenshotAsync(this IPage page, string name)
    {
        var directory = Path.Combine(RepositoryPaths.Root, "TestResults", "screenshots");
        Directory.CreateDirectory(directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name + ".png"), FullPage = true });
    }
}
