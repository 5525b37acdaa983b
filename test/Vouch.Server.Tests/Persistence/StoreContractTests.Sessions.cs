using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Vouch.Server.Audit;
using Vouch.Protocol;
using Vouch.Server.Persistence;
using Vouch.Server.Sessions;
using Vouch.Server.Users;
using Vouch.Server.WebAuthn;
using Xunit;

namespace Vouch.Server.Tests.Persistence;

// Sessions: disabled users, revoked keys, and logins racing a revocation.
public abstract partial class StoreContractTests
{
    /// <summary>The people services of one instance, and Alice enrolled with two keys (ids 0x01.. and 0x02..).</summary>
    private async Task<(UserService Users, CredentialService Credentials, SessionService Sessions, UserRecord Alice, byte[][] Keys)> PeopleAsync()
    {
        var (_, audit, factory) = Instance();
        var sessions = new SessionService(factory, audit, Time);
        var alice = new UserRecord { Id = Guid.NewGuid(), Email = "alice@example.com", Domain = "example.com", CreatedAt = StoredTime.Now(Time) };
        byte[][] keys = [[1, .. RandomNumberGenerator.GetBytes(31)], [2, .. RandomNumberGenerator.GetBytes(31)]];
        await using (var db = factory.CreateDbContext())
        {
            db.Users.Add(alice);
            foreach (var key in keys)
            {
                db.Credentials.Add(new CredentialRecord
                {
                    Id = key, UserId = alice.Id, PublicKey = [0], SignCount = 0, AaGuid = Guid.Empty, AttestationFormat = "none", CreatedAt = StoredTime.Now(Time),
                });
            }
            await db.SaveChangesAsync();
        }
        return (new UserService(factory, audit, sessions, Time), new CredentialService(factory, audit, sessions, Time), sessions, alice, keys);
    }

    private static async Task<CreatedSession> Started(Task<Outcome<CreatedSession>> creating)
    {
        var created = await creating;
        Assert.True(created.Succeeded, created.Problem?.Description);
        return created.Value;
    }

    [Fact]
    public async Task No_session_starts_for_a_user_disabled_before_it_is_stored()
    {
        var (users, _, sessions, alice, keys) = await PeopleAsync();
        // The login read the user before the administrator acted (alice is the record loaded then).
        await users.DisableAsync(EmailAddress.TryParse(alice.Email)!, "admin:alice", CancellationToken.None);

        var created = await sessions.CreateAsync(alice, keys[0], null, CancellationToken.None);

        Assert.Equal(ErrorCodes.UserDisabled, created.Problem?.Code);
        await using var db = Instance().Factory.CreateDbContext();
        Assert.Empty(await db.Sessions.ToListAsync());
    }

    [Fact]
    public async Task Disabling_a_user_revokes_their_live_sessions_with_it_and_refuses_them_as_disabled()
    {
        var (users, _, sessions, alice, keys) = await PeopleAsync();
        var first = await Started(sessions.CreateAsync(alice, keys[0], null, CancellationToken.None));
        var second = await Started(sessions.CreateAsync(alice, keys[1], null, CancellationToken.None));

        var disabled = await users.DisableAsync(EmailAddress.TryParse(alice.Email)!, "admin:alice", CancellationToken.None);

        Assert.Equal(2, disabled.Value!.SessionsRevoked);
        Assert.Equal(ErrorCodes.UserDisabled, (await sessions.FindAsync(first.Token, CancellationToken.None)).Problem!.Code);
        var shown = await users.ShowAsync(EmailAddress.TryParse(alice.Email)!, CancellationToken.None);
        Assert.Empty(shown.Value!.Sessions);
        Assert.Equal("admin:alice", shown.Value.User.DisabledBy);
        await users.EnableAsync(EmailAddress.TryParse(alice.Email)!, "admin:alice", CancellationToken.None);
        Assert.Equal(ErrorCodes.SessionRevoked, (await sessions.FindAsync(second.Token, CancellationToken.None)).Problem!.Code);
        var verification = await Verifier(Instance().Factory).VerifyAsync(CancellationToken.None);
        Assert.True(verification.Intact, verification.Problem);
        await using var db = Instance().Factory.CreateDbContext();
        Assert.Equal(
            [AuditEventTypes.LoginSucceeded, AuditEventTypes.LoginSucceeded, AuditEventTypes.UserDisabled, AuditEventTypes.SessionRevoked, AuditEventTypes.SessionRevoked, AuditEventTypes.UserEnabled],
            await db.AuditRecords.OrderBy(r => r.Sequence).Select(r => r.Type).ToListAsync());
    }

    [Fact]
    public async Task Revoking_a_key_ends_only_the_sessions_it_opened()
    {
        var (_, credentials, sessions, alice, keys) = await PeopleAsync();
        var lost = await Started(sessions.CreateAsync(alice, keys[0], null, CancellationToken.None));
        var kept = await Started(sessions.CreateAsync(alice, keys[1], null, CancellationToken.None));

        var revoked = await credentials.RevokeAsync(CredentialService.FormatId(keys[0]), "admin:alice", CancellationToken.None);

        Assert.Equal(1, revoked.Value!.SessionsRevoked);
        Assert.Equal(ErrorCodes.SessionRevoked, (await sessions.FindAsync(lost.Token, CancellationToken.None)).Problem!.Code);
        Assert.True((await sessions.FindAsync(kept.Token, CancellationToken.None)).Succeeded);
        var listed = (await credentials.ListAsync(null, CancellationToken.None)).Value!;
        Assert.Equal(CredentialService.FormatId(keys[0]), listed.Single(k => k.RevokedAt is not null).Id);
        Assert.False((await credentials.RevokeAsync(CredentialService.FormatId(keys[0]), "admin:alice", CancellationToken.None)).Value!.Changed);
    }

    [Fact]
    public async Task A_session_opened_with_a_key_revoked_afterwards_is_refused_as_revoked()
    {
        var (_, credentials, sessions, alice, keys) = await PeopleAsync();
        var (_, _, factory) = Instance();
        await credentials.RevokeAsync(CredentialService.FormatId(keys[0]), "admin:alice", CancellationToken.None);

        // As if a login with the key had raced its revocation.
        var raced = await Started(sessions.CreateAsync(alice, keys[0], null, CancellationToken.None));

        Assert.Equal(ErrorCodes.SessionRevoked, (await sessions.FindAsync(raced.Token, CancellationToken.None)).Problem!.Code);
        await using var db = factory.CreateDbContext();
        Assert.Null((await db.Sessions.SingleAsync(s => s.Id == raced.Id)).RevokedAt);
    }

    [Fact]
    public async Task A_login_whose_key_was_revoked_after_its_check_opens_no_session_and_moves_no_counter()
    {
        var (_, credentials, sessions, alice, keys) = await PeopleAsync();
        var factory = Instance().Factory;
        CredentialRecord checkedKey;
        await using (var db = factory.CreateDbContext())
            checkedKey = await db.Credentials.AsNoTracking().SingleAsync(c => c.Id == keys[0]);
        // The administrator revokes the key between the login's assertion check and its session.
        await credentials.RevokeAsync(CredentialService.FormatId(keys[0]), "admin:alice", CancellationToken.None);

        var created = await new LoginTransaction(factory, sessions, Time).CommitAsync(alice, checkedKey, 7, SessionKinds.Cli, null, CancellationToken.None);

        Assert.Equal(ErrorCodes.WebAuthnFailed, created.Problem?.Code);
        await using var after = factory.CreateDbContext();
        Assert.Empty(await after.Sessions.ToListAsync());
        Assert.Equal(0, (await after.Credentials.SingleAsync(c => c.Id == keys[0])).SignCount);
        Assert.DoesNotContain(AuditEventTypes.LoginSucceeded, await after.AuditRecords.Select(r => r.Type).ToListAsync());
    }

    [Fact]
    public async Task Of_two_logins_that_checked_the_same_state_of_a_key_only_the_first_opens_a_session()
    {
        var (_, _, sessions, alice, keys) = await PeopleAsync();
        var factory = Instance().Factory;
        CredentialRecord checkedKey;
        await using (var db = factory.CreateDbContext())
            checkedKey = await db.Credentials.AsNoTracking().SingleAsync(c => c.Id == keys[0]);

        var login = new LoginTransaction(factory, sessions, Time);
        var first = await login.CommitAsync(alice, checkedKey, 1, SessionKinds.Cli, null, CancellationToken.None);
        var second = await login.CommitAsync(alice, checkedKey, 2, SessionKinds.Cli, null, CancellationToken.None);

        Assert.True(first.Succeeded, first.Problem?.Description);
        Assert.Equal(ErrorCodes.WebAuthnFailed, second.Problem?.Code);
        await using var after = factory.CreateDbContext();
        Assert.Equal([first.Value!.Id], await after.Sessions.Select(s => s.Id).ToListAsync());
        var key = await after.Credentials.SingleAsync(c => c.Id == keys[0]);
        Assert.Equal(1, key.SignCount);
        Assert.NotNull(key.LastUsedAt);
        Assert.Single(await after.AuditRecords.Where(r => r.Type == AuditEventTypes.LoginSucceeded).ToListAsync());
    }
}
