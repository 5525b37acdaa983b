using Microsoft.Playwright;
using Vouch.Server.Oidc;
using Vouch.Server.Users;
using Vouch.Server.WebAuthn;
using Vouch.Testing;

namespace Vouch.Web.Tests;

/// <summary>
/// The server in process at <c>http://localhost:PORT</c> (a browser's WebAuthn needs a host name as RP ID, never an
/// IP address; loopback http is a secure context), accepting any attestation (the virtual authenticator's is none).
/// </summary>
internal static class WebServer
{
    public static Task<InProcessServer> StartAsync() => InProcessServer.StartAsync(configure: settings =>
    {
        var port = new Uri(settings.Listen).Port;
        var issuer = $"http://localhost:{port}";
        return settings with
        {
            Oidc = settings.Oidc with { Issuer = issuer, Audience = $"localhost:{port}" },
            WebAuthn = WebAuthnOptions.ForIssuer(issuer, AttestationPolicy.Any),
        };
    });

    /// <summary>An invite for <paramref name="email"/>, as <c>vouch-server invite</c> makes it.</summary>
    public static async Task<string> InviteAsync(this InProcessServer server, string email, TimeSpan? lifetime = null)
    {
        var address = EmailAddress.TryParse(email)!;
        var created = await server.Get<InviteService>().CreateAsync(address, address.Domain, lifetime ?? TimeSpan.FromHours(1), "admin:test", CancellationToken.None);
        return created.Code;
    }

    /// <summary>Saves a full-page screenshot as <c>TestResults/screenshots/NAME.png</c> in the repository.</summary>
    public static async Task ScreenshotAsync(this IPage page, string name)
    {
        var directory = Path.Combine(RepositoryPaths.Root, "TestResults", "screenshots");
        Directory.CreateDirectory(directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name + ".png"), FullPage = true });
    }
}
