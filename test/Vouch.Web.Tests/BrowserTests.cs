using Vouch.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Vouch.Web.Tests;

[Collection(SharedChromium.Name)]
public sealed class BrowserTests(ChromiumFixture chromium, ITestOutputHelper output)
{
    [Fact]
    public async Task Debian_chromium_starts_headless_and_takes_a_virtual_security_key()
    {
        output.WriteLine($"chromium started and connected in {chromium.Browser.StartTime.TotalMilliseconds:F0} ms");
        var page = await chromium.Browser.NewPageAsync("http://localhost/");

        var authenticator = await VirtualAuthenticator.AddAsync(page);

        Assert.Contains("HeadlessChrome", await page.EvaluateAsync<string>("navigator.userAgent"), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(authenticator.Id));
        Assert.Empty(await authenticator.CredentialsAsync());
        await page.Context.CloseAsync();
    }
}
