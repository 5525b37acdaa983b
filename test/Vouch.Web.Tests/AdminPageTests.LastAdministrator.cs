using Vouch.Server.Audit;
using Xunit;

namespace Vouch.Web.Tests;

// Security review L2 on the page: the refusal is a line, and the administrator keeps /admin.
public sealed partial class AdminPageTests
{
    [Fact]
    public async Task The_last_enabled_administrator_can_neither_disable_nor_demote_themselves_on_the_page()
    {
        await using var server = await WebServer.StartAsync();
        var (admin, _) = await SignedInAsync(server, Ada);
        const string Refusal = Ada + " is the last administrator; promote another user first";

        await admin.GotoAsync("/admin");
        await ClickAsync(admin, $"Disable {Ada}");
        var disabling = await admin.Locator("#admin-problem").TextContentAsync();
        await ClickAsync(admin, $"Demote {Ada}");
        var demoting = await admin.Locator("#admin-problem").TextContentAsync();

        Assert.Contains(Refusal, disabling, StringComparison.Ordinal);
        Assert.Contains(Refusal, demoting, StringComparison.Ordinal);
        Assert.Equal(200, (await admin.GotoAsync("/admin"))!.Status);
        Assert.Empty(await AuditAsync(server, AuditEventTypes.UserDisabled));
        await admin.Context.CloseAsync();
    }
}
