using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Vouch.Server.Secrets;
using Vouch.Protocol;
using Vouch.Server.Persistence;
using Vouch.Server.Sessions;
using Vouch.Server.Users;
using Vouch.Server.WebAuthn;
using Xunit;

namespace Vouch.Server.Tests.Persistence;

// Finding a session by its bearer token.
public abstract partial class StoreContractTests
{
    [Fact]
    public async Task A_bearer_finds_its_live_session_and_user_exactly_as_stored()
    {
        var (_, _, sessions, alice, keys) = await PeopleAsync();
        var started = await Started(sessions.CreateAsync(alice, keys[0], "203.0.113.7", CancellationToken.None));
        Time.Advance(TimeSpan.FromMinutes(5));

        var found = await sessions.FindAsync(started.Token, CancellationToken.None);

        Assert.True(found.Succeeded, found.Problem?.Description);
        await using var db = Instance().Factory.CreateDbContext();
        var stored = await db.Sessions.AsNoTracking().SingleAsync(s => s.Id == started.Id);
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == alice.Id);
        Assert.Equivalent(stored, found.Value.Session, strict: true);
        Assert.Equivalent(user, found.Value.User, strict: true);
        Assert.Equal(started.ExpiresAt, found.Value.Session.ExpiresAt);
        Assert.False(found.Value.HardwareKey);
    }

    [Fact]
    public async Task A_bearer_session_opened_with_a_hardware_attested_key_is_found_as_hardware()
    {
        var (_, _, sessions, alice, _) = await PeopleAsync();
        byte[] hardware = [3, .. RandomNumberGenerator.GetBytes(31)];
        await using (var db = Instance().Factory.CreateDbContext())
        {
            db.Credentials.Add(new CredentialRecord
            {
                Id = hardware, UserId = alice.Id, PublicKey = [0], SignCount = 0, AaGuid = Guid.Empty, AttestationFormat = "packed",
                CreatedAt = StoredTime.Now(Time), HardwareAttested = true,
            });
            await db.SaveChangesAsync();
        }
        var started = await Started(sessions.CreateAsync(alice, hardware, null, CancellationToken.None));

        var found = await sessions.FindAsync(started.Token, CancellationToken.None);

        Assert.True(found.Value!.HardwareKey);
    }

    [Fact]
    public async Task A_bearer_session_is_refused_as_expired_from_the_moment_it_ends()
    {
        var (_, _, sessions, alice, keys) = await PeopleAsync();
        var started = await Started(sessions.CreateAsync(alice, keys[0], null, CancellationToken.None));
        Time.Advance(SessionService.Lifetime - TimeSpan.FromMilliseconds(1));
        Assert.True((await sessions.FindAsync(started.Token, CancellationToken.None)).Succeeded);

        Time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(ErrorCodes.SessionExpired, (await sessions.FindAsync(started.Token, CancellationToken.None)).Problem!.Code);
    }

    [Fact]
    public async Task A_revoked_bearer_session_is_refused_as_revoked_and_its_siblings_still_work()
    {
        var (_, _, sessions, alice, keys) = await PeopleAsync();
        var revoked = await Started(sessions.CreateAsync(alice, keys[0], null, CancellationToken.None));
        var kept = await Started(sessions.CreateAsync(alice, keys[0], null, CancellationToken.None));

        Assert.Equal(1, await sessions.RevokeAsync(revoked.Id, null, "user:alice@example.com", CancellationToken.None));

        Assert.Equal(ErrorCodes.SessionRevoked, (await sessions.FindAsync(revoked.Token, CancellationToken.None)).Problem!.Code);
        Assert.True((await sessions.FindAsync(kept.Token, CancellationToken.None)).Succeeded);
    }

    [Fact]
    public async Task A_browser_session_is_unknown_as_a_bearer_and_a_bearer_session_unknown_as_a_browser_one()
    {
        var (_, _, sessions, alice, keys) = await PeopleAsync();
        var browser = await Started(sessions.CreateAsync(alice, keys[0], SessionKinds.Browser, null, CancellationToken.None));
        var bearer = await Started(sessions.CreateAsync(alice, keys[0], null, CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidSession, (await sessions.FindAsync(browser.Token, CancellationToken.None)).Problem!.Code);
        Assert.Equal(ErrorCodes.InvalidSession, (await sessions.FindAsync(bearer.Token, SessionKinds.Browser, CancellationToken.None)).Problem!.Code);
        Assert.Equal(SessionKinds.Browser, (await sessions.FindAsync(browser.Token, SessionKinds.Browser, CancellationToken.None)).Value!.Session.Kind);
    }

    [Theory]
    [InlineData("vs_")]
    [InlineData("not-a-session")]
    [InlineData(null)]
    public async Task An_unknown_or_malformed_bearer_is_refused_as_an_invalid_session(string? prefix)
    {
        var (_, _, sessions, alice, keys) = await PeopleAsync();
        await Started(sessions.CreateAsync(alice, keys[0], null, CancellationToken.None));
        // A well-formed token that was never issued, or junk.
        var token = prefix is null ? null : prefix == "vs_" ? OpaqueSecret.Generate(SessionService.TokenPrefix) : prefix;

        var found = await sessions.FindAsync(token, CancellationToken.None);

        Assert.Equal(ErrorCodes.InvalidSession, found.Problem!.Code);
    }

    [Fact]
    public async Task A_disabled_users_bearer_session_is_refused_as_disabled_even_if_the_session_itself_was_never_revoked()
    {
        var (_, _, sessions, alice, keys) = await PeopleAsync();
        var started = await Started(sessions.CreateAsync(alice, keys[0], null, CancellationToken.None));
        await using (var db = Instance().Factory.CreateDbContext())
        {
            // As a user disabled by hand in the database, without the revocations `users disable` makes.
            await db.Users.Where(u => u.Id == alice.Id).ExecuteUpdateAsync(u => u.SetProperty(x => x.DisabledAt, StoredTime.Now(Time)));
        }

        Assert.Equal(ErrorCodes.UserDisabled, (await sessions.FindAsync(started.Token, CancellationToken.None)).Problem!.Code);
    }
}
