using Vouch.Testing;
using Xunit;

namespace Vouch.Web.Tests;

/// <summary>One Chromium for the whole test project: every test class joins the <see cref="SharedChromium"/> collection.</summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    private Browser? _browser;

    public Browser Browser => _browser ?? throw new InvalidOperationException("Chromium has not started");

    public async Task InitializeAsync() => _browser = await Browser.StartAsync();

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class SharedChromium : ICollectionFixture<ChromiumFixture>
{
    public const string Name = "chromium";
}
