using Microsoft.EntityFrameworkCore;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Server.Persistence;
using Vouch.Server.Tests.WebAuthn;
using Vouch.Server.Users;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Users;

/// <summary>Security review L2: at least one enabled administrator always remains, whether by disabling or demoting.</summary>
public sealed class LastAdministratorTests : ApiUserTests
{
    private static readonly EmailAddress AliceEmail = EmailAddress.TryParse("alice@example.com")!;
    private static readonly EmailAddress BobEmail = EmailAddress.TryParse("bob@example.com")!;

    private async Task<List<string>> AuditTypesAsync()
    {
        await using var db = Server.Get<VouchDbContextFactory>().CreateDbContext();
        var types = await db.AuditRecords.AsNoTracking().OrderBy(r => r.Sequence).Select(r => r.Type).ToListAsync();
        return types.Where(t => t.StartsWith("user.", StringComparison.Ordinal)).ToList();
    }

    [Fact]
    public async Task The_only_administrator_cannot_disable_themselves_and_nothing_changes()
    {
        await Alice.EnrollAsync();
        var users = Server.Get<UserService>();

        var refused = await users.DisableAsync(AliceEmail, "admin:alice@example.com", CancellationToken.None);

        Assert.Equal(ErrorCodes.LastAdministrator, refused.Problem?.Code);
        Assert.Equal(409, refused.Problem!.Status);
        Assert.Null((await users.ListAsync(CancellationToken.None)).Single().DisabledAt);
        Assert.Empty(await AuditTypesAsync());
    }

    [Fact]
    public async Task A_disabled_administrator_does_not_count_so_the_last_enabled_one_can_be_neither_demoted_nor_disabled()
    {
        await Alice.EnrollAsync();
        using var bob = new ApiUser(Server, "bob@example.com");
        await bob.EnrollAsync();
        var users = Server.Get<UserService>();
        await users.PromoteAsync(BobEmail, "admin:alice@example.com", CancellationToken.None);

        var aliceDisabled = await users.DisableAsync(AliceEmail, "admin:bob@example.com", CancellationToken.None);
        var bobDemoted = await users.DemoteAsync(BobEmail, "admin:bob@example.com", CancellationToken.None);
        var bobDisabled = await users.DisableAsync(BobEmail, "admin:bob@example.com", CancellationToken.None);
        var aliceDemoted = await users.DemoteAsync(AliceEmail, "admin:bob@example.com", CancellationToken.None);

        Assert.True(aliceDisabled.Value!.Changed);
        Assert.Equal(ErrorCodes.LastAdministrator, bobDemoted.Problem?.Code);
        Assert.Equal(ErrorCodes.LastAdministrator, bobDisabled.Problem?.Code);
        // Demoting an administrator who is disabled leaves the enabled ones as they were.
        Assert.True(aliceDemoted.Value!.Changed);
        var bobNow = (await users.ListAsync(CancellationToken.None)).Single(u => u.Email == bob.Email);
        Assert.True(bobNow.IsAdmin);
        Assert.Null(bobNow.DisabledAt);
    }

    [Fact]
    public async Task An_ordinary_user_can_still_be_disabled_and_enabled()
    {
        await Alice.EnrollAsync();
        using var bob = new ApiUser(Server, "bob@example.com");
        await bob.EnrollAsync();
        var users = Server.Get<UserService>();

        Assert.True((await users.DisableAsync(BobEmail, "admin:alice@example.com", CancellationToken.None)).Value!.Changed);
        Assert.True((await users.EnableAsync(BobEmail, "admin:alice@example.com", CancellationToken.None)).Value!.Changed);
        Assert.Equal([AuditEventTypes.UserDisabled, AuditEventTypes.UserEnabled], await AuditTypesAsync());
    }
}
