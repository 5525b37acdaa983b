using Microsoft.EntityFrameworkCore;
using Vouch.Protocol;
using Vouch.Server.Persistence;
using Vouch.Server.Sessions;
using Vouch.Server.Users;
using Xunit;

namespace Vouch.Server.Tests.Persistence;

// Invites and administrators.
public abstract partial class StoreContractTests
{
    [Fact]
    public async Task A_revoked_invite_cannot_be_found_usable_nor_claimed()
    {
        var (_, audit, factory) = Instance();
        var invites = new InviteService(factory, audit, Time);
        var created = await invites.CreateAsync(EmailAddress.TryParse("bob@example.com")!, "example.com", TimeSpan.FromHours(1), "admin:alice", CancellationToken.None);

        await invites.RevokeAsync(created.Invite.Id, "admin:alice", CancellationToken.None);

        Assert.Equal(ErrorCodes.InvalidInvite, (await invites.FindUsableAsync(created.Code, CancellationToken.None)).Problem!.Code);
        await using var db = factory.CreateDbContext();
        Assert.False(await invites.StageClaimAsync(db, created.Invite.Id, CancellationToken.None));
        Assert.Equal(InviteStates.Revoked, (await invites.ListAsync(CancellationToken.None)).Single().State);
    }

    [Fact]
    public async Task Two_administrators_demoting_each_other_at_once_leave_one_administrator()
    {
        var (users, others, factory) = await TwoAdministratorsOnTwoInstancesAsync();

        var outcomes = await Task.WhenAll(
            users.DemoteAsync(EmailAddress.TryParse("alice@example.com")!, "admin:bob@example.com", CancellationToken.None),
            others.DemoteAsync(EmailAddress.TryParse("bob@example.com")!, "admin:alice@example.com", CancellationToken.None));

        Assert.Single(outcomes, o => o.Succeeded);
        Assert.Single(outcomes, o => o.Problem?.Code == ErrorCodes.LastAdministrator);
        await using var check = factory.CreateDbContext();
        Assert.Equal(1, await check.Users.CountAsync(u => u.IsAdmin));
    }

    [Fact]
    public async Task Two_administrators_disabling_each_other_at_once_leave_one_enabled_administrator()
    {
        var (users, others, factory) = await TwoAdministratorsOnTwoInstancesAsync();

        var outcomes = await Task.WhenAll(
            users.DisableAsync(EmailAddress.TryParse("alice@example.com")!, "admin:bob@example.com", CancellationToken.None),
            others.DemoteAsync(EmailAddress.TryParse("bob@example.com")!, "admin:alice@example.com", CancellationToken.None));

        Assert.Single(outcomes, o => o.Succeeded);
        Assert.Single(outcomes, o => o.Problem?.Code == ErrorCodes.LastAdministrator);
        await using var check = factory.CreateDbContext();
        Assert.Equal(1, await check.Users.CountAsync(u => u.IsAdmin && u.DisabledAt == null));
    }

    /// <summary>Alice and Bob, both administrators, and a user service for each of two instances on the one database.</summary>
    private async Task<(UserService Users, UserService Others, IDbContextFactory<VouchDbContext> Factory)> TwoAdministratorsOnTwoInstancesAsync()
    {
        var (_, audit, factory) = Instance();
        var sessions = new SessionService(factory, audit, Time);
        await using (var db = factory.CreateDbContext())
        {
            foreach (var email in new[] { "alice@example.com", "bob@example.com" })
                db.Users.Add(new UserRecord { Id = Guid.NewGuid(), Email = email, Domain = "example.com", CreatedAt = StoredTime.Now(Time), IsAdmin = true });
            await db.SaveChangesAsync();
        }
        var users = new UserService(factory, audit, sessions, Time);
        var others = new UserService(Instance().Factory, Instance().Audit, sessions, Time);
        return (users, others, factory);
    }
}
