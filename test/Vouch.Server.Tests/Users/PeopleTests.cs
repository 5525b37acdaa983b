using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Server.Persistence;
using Vouch.Server.Tests.WebAuthn;
using Vouch.Server.Users;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Users;

/// <summary>Joining, a spare key, a lost key and a leaver, through the JSON API and the services the admin commands call.</summary>
public sealed class PeopleTests : ApiUserTests
{
    private const string DisabledDescription = "your Vouch account is disabled; ask your administrator";
    private static readonly EmailAddress AliceEmail = EmailAddress.TryParse("alice@example.com")!;

    /// <summary>Alice's second key: another software key, enrolled with an invite for her email.</summary>
    private ApiUser SpareKey() => new(Server, Alice.Email);

    /// <summary>Root enrolls first, so Alice is an ordinary user (the last enabled administrator cannot be disabled).</summary>
    private async Task AdministratorEnrolledFirstAsync()
    {
        using var root = new ApiUser(Server, "root@example.com");
        await root.EnrollAsync();
    }

    private static void AssertRefused(HttpStatusCode status, string error, (HttpStatusCode Status, JsonElement Body) answer)
    {
        Assert.True(status == answer.Status, answer.Body.ToString());
        Assert.Equal(error, answer.Body.GetProperty("error").GetString());
    }

    private static void AssertDisabled((HttpStatusCode Status, JsonElement Body) answer)
    {
        AssertRefused(HttpStatusCode.Forbidden, ErrorCodes.UserDisabled, answer);
        Assert.Equal(DisabledDescription, answer.Body.GetProperty("error_description").GetString());
    }

    private async Task<List<AuditRecord>> AuditAsync(string type)
    {
        await using var db = Server.Get<VouchDbContextFactory>().CreateDbContext();
        return await db.AuditRecords.AsNoTracking().Where(r => r.Type == type).OrderBy(r => r.Sequence).ToListAsync();
    }

    private async Task<string> CredentialIdAsync(ApiUser user)
    {
        var keys = (await Server.Get<CredentialService>().ListAsync(AliceEmail, CancellationToken.None)).Value!;
        return keys.Single(k => k.Id == Convert.ToHexStringLower(user.Key.CredentialId)).Id;
    }

    [Fact]
    public async Task A_second_key_enrolled_with_an_invite_for_the_same_email_logs_in_and_both_keys_are_listed()
    {
        await Alice.EnrollAsync();
        using var spare = SpareKey();

        await spare.EnrollAsync();
        var (status, login) = await spare.LoginAsync();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("alice@example.com", login.GetProperty("email").GetString());
        var shown = await Server.Get<UserService>().ShowAsync(AliceEmail, CancellationToken.None);
        Assert.Equal(2, shown.Value!.User.Keys);
        Assert.Equal([Convert.ToHexStringLower(Alice.Key.CredentialId), Convert.ToHexStringLower(spare.Key.CredentialId)], shown.Value.Keys.Select(k => k.Id));
        Assert.Single((await Server.Get<UserService>().ListAsync(CancellationToken.None)));
    }

    [Fact]
    public async Task A_revoked_key_is_refused_with_the_uniform_error_and_the_users_other_key_still_logs_in()
    {
        var lostSession = await Alice.EnrollAndLoginAsync();
        using var spare = SpareKey();
        await spare.EnrollAsync();

        var revoked = await Server.Get<CredentialService>().RevokeAsync(await CredentialIdAsync(Alice), "admin:test", CancellationToken.None);

        Assert.Equal(1, revoked.Value!.SessionsRevoked);
        AssertRefused(HttpStatusCode.BadRequest, ErrorCodes.WebAuthnFailed, await Alice.LoginAsync());
        AssertRefused(HttpStatusCode.Unauthorized, ErrorCodes.SessionRevoked, await Alice.TokenAsync(lostSession));
        var spareSession = await spare.LoginForSessionAsync();
        Assert.Equal(HttpStatusCode.OK, (await spare.TokenAsync(spareSession)).Status);
        var failure = (await AuditAsync(AuditEventTypes.LoginFailed)).Single();
        Assert.Contains("\"reason\":\"credential revoked\"", failure.Data, StringComparison.Ordinal);
        Assert.Equal("admin:test", (await AuditAsync(AuditEventTypes.CredentialRevoked)).Single().Actor);
    }

    [Fact]
    public async Task A_replayed_lower_counter_locks_the_key_until_an_administrator_unlocks_it_even_for_a_higher_counter()
    {
        await Alice.EnrollAsync();
        await Alice.LoginForSessionAsync();
        var openSession = await Alice.LoginForSessionAsync();
        using var spare = SpareKey();
        await spare.EnrollAsync();
        var id = await CredentialIdAsync(Alice);

        // A copy of the key, used twice already, replays its lower counter.
        Alice.Key.Counter = 0;
        var copied = await Alice.LoginAsync();
        Alice.Key.Counter = 10;
        var original = await Alice.LoginAsync();

        AssertRefused(HttpStatusCode.Forbidden, ErrorCodes.CredentialLocked, copied);
        AssertRefused(HttpStatusCode.Forbidden, ErrorCodes.CredentialLocked, original);
        Assert.Contains("ask your administrator", original.Body.GetProperty("error_description").GetString(), StringComparison.Ordinal);
        AssertRefused(HttpStatusCode.Unauthorized, ErrorCodes.SessionRevoked, await Alice.TokenAsync(openSession));
        var clone = (await AuditAsync(AuditEventTypes.CloneSuspected)).Single();
        var data = JsonDocument.Parse(clone.Data).RootElement;
        Assert.Equal(id, data.GetProperty("credential_id").GetString());
        Assert.Equal("2", data.GetProperty("stored_counter").GetString());
        Assert.Equal("1", data.GetProperty("presented_counter").GetString());
        Assert.Equal("user:alice@example.com", clone.Actor);
        var keys = (await Server.Get<CredentialService>().ListAsync(AliceEmail, CancellationToken.None)).Value!;
        Assert.NotNull(keys.Single(k => k.Id == id).LockedAt);
        Assert.Null(keys.Single(k => k.Id != id).LockedAt);
        await spare.LoginForSessionAsync();

        var unlocked = await Server.Get<CredentialService>().UnlockAsync(id, "admin:test", CancellationToken.None);

        Assert.True(unlocked.Value!.Changed);
        Assert.Null(unlocked.Value.Credential.LockedAt);
        Assert.Equal("admin:test", (await AuditAsync(AuditEventTypes.CredentialUnlocked)).Single().Actor);
        var session = await Alice.LoginForSessionAsync();
        Assert.Equal(HttpStatusCode.OK, (await Alice.TokenAsync(session)).Status);
        Assert.False((await Server.Get<CredentialService>().UnlockAsync(id, "admin:test", CancellationToken.None)).Value!.Changed);
    }

    [Fact]
    public async Task A_locked_key_can_be_revoked_and_then_unlocking_it_does_not_let_it_log_in()
    {
        await Alice.EnrollAsync();
        await Alice.LoginForSessionAsync();
        Alice.Key.Counter = 0;
        AssertRefused(HttpStatusCode.Forbidden, ErrorCodes.CredentialLocked, await Alice.LoginAsync());
        var id = await CredentialIdAsync(Alice);

        await Server.Get<CredentialService>().RevokeAsync(id, "admin:test", CancellationToken.None);
        await Server.Get<CredentialService>().UnlockAsync(id, "admin:test", CancellationToken.None);

        Alice.Key.Counter = 10;
        AssertRefused(HttpStatusCode.BadRequest, ErrorCodes.WebAuthnFailed, await Alice.LoginAsync());
    }

    [Fact]
    public async Task Disabling_a_user_ends_their_sessions_and_refuses_their_tokens_logins_and_enrollments()
    {
        await AdministratorEnrolledFirstAsync();
        var session = await Alice.EnrollAndLoginAsync();
        var code = await Alice.InviteAsync();

        var disabled = await Server.Get<UserService>().DisableAsync(AliceEmail, "admin:test", CancellationToken.None);

        Assert.Equal(1, disabled.Value!.SessionsRevoked);
        AssertDisabled(await Alice.TokenAsync(session));
        AssertDisabled(await Alice.SessionAsync(session));
        AssertDisabled(await Alice.LoginAsync());
        AssertDisabled(await Alice.PostAsync(ApiRoutes.EnrollOptions, new { invite = code }));
        Assert.Equal(["admin:test"], (await AuditAsync(AuditEventTypes.UserDisabled)).Select(r => r.Actor));
        Assert.Equal("admin:test", (await AuditAsync(AuditEventTypes.SessionRevoked)).Single().Actor);
        Assert.Contains("\"reason\":\"user disabled\"", (await AuditAsync(AuditEventTypes.LoginFailed)).Single().Data, StringComparison.Ordinal);
        Assert.Contains("\"reason\":\"user disabled\"", (await AuditAsync(AuditEventTypes.EnrollmentFailed)).Single().Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_enrollment_that_began_before_the_user_was_disabled_is_refused_and_leaves_the_invite_unused()
    {
        await AdministratorEnrolledFirstAsync();
        await Alice.EnrollAsync();
        using var spare = SpareKey();
        var code = await spare.InviteAsync();
        var (_, started) = await spare.PostAsync(ApiRoutes.EnrollOptions, new { invite = code });
        await Server.Get<UserService>().DisableAsync(AliceEmail, "admin:test", CancellationToken.None);

        var credential = spare.Key.MakeCredential(started.GetProperty("options"), spare.Origin);
        var finished = await spare.PostAsync(ApiRoutes.Enroll, new { ceremony = started.GetProperty("ceremony").GetString(), credential });

        AssertDisabled(finished);
        var invites = await Server.Get<InviteService>().ListAsync(CancellationToken.None);
        Assert.Equal(InviteStates.Pending, invites[^1].State);
        Assert.Equal(1, (await Server.Get<UserService>().ShowAsync(AliceEmail, CancellationToken.None)).Value!.User.Keys);
    }

    [Fact]
    public async Task Enabling_a_user_lets_them_log_in_again_but_their_old_session_stays_revoked()
    {
        await AdministratorEnrolledFirstAsync();
        var oldSession = await Alice.EnrollAndLoginAsync();
        var users = Server.Get<UserService>();
        await users.DisableAsync(AliceEmail, "admin:test", CancellationToken.None);

        var enabled = await users.EnableAsync(AliceEmail, "admin:test", CancellationToken.None);

        Assert.True(enabled.Value!.Changed);
        var newSession = await Alice.LoginForSessionAsync();
        Assert.Equal(HttpStatusCode.OK, (await Alice.TokenAsync(newSession)).Status);
        AssertRefused(HttpStatusCode.Unauthorized, ErrorCodes.SessionRevoked, await Alice.TokenAsync(oldSession));
        Assert.Single(await AuditAsync(AuditEventTypes.UserEnabled));
    }

    [Fact]
    public async Task A_revoked_invite_is_refused_like_a_used_one()
    {
        var code = await Alice.InviteAsync();
        var invite = (await Server.Get<InviteService>().ListAsync(CancellationToken.None)).Single();

        var revoked = await Server.Get<InviteService>().RevokeAsync(invite.Id, "admin:test", CancellationToken.None);

        Assert.Equal(InviteStates.Revoked, revoked.Value!.Invite.State);
        var refused = await Alice.PostAsync(ApiRoutes.EnrollOptions, new { invite = code });
        AssertRefused(HttpStatusCode.BadRequest, ErrorCodes.InvalidInvite, refused);
        Assert.Equal("the invite code is unknown, used or expired", refused.Body.GetProperty("error_description").GetString());
        Assert.Equal("admin:test", (await AuditAsync(AuditEventTypes.InviteRevoked)).Single().Actor);
    }

    [Fact]
    public async Task A_used_invite_cannot_be_revoked_and_the_answer_points_at_its_key()
    {
        await Alice.EnrollAsync();
        var invite = (await Server.Get<InviteService>().ListAsync(CancellationToken.None)).Single();

        var revoked = await Server.Get<InviteService>().RevokeAsync(invite.Id, "admin:test", CancellationToken.None);

        Assert.Equal(InviteStates.Used, invite.State);
        Assert.Contains("credentials list --email alice@example.com", revoked.Problem!.Description, StringComparison.Ordinal);
        Assert.Empty(await AuditAsync(AuditEventTypes.InviteRevoked));
    }

    [Fact]
    public async Task The_first_user_to_enroll_is_an_administrator_and_later_users_are_not()
    {
        await Alice.EnrollAsync();
        using var bob = new ApiUser(Server, "bob@example.com");
        await bob.EnrollAsync();
        using var spare = SpareKey();
        await spare.EnrollAsync();

        var users = await Server.Get<UserService>().ListAsync(CancellationToken.None);

        Assert.Equal([("alice@example.com", true), ("bob@example.com", false)], users.Select(u => (u.Email, u.IsAdmin)));
        var enrolled = await AuditAsync(AuditEventTypes.Enrolled);
        Assert.Equal(
            [true, false, false],
            enrolled.Select(r => r.Data.Contains("\"administrator\":\"first user\"", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Promoting_and_demoting_are_audited_with_their_actor_and_the_last_administrator_cannot_be_demoted()
    {
        await Alice.EnrollAsync();
        using var bob = new ApiUser(Server, "bob@example.com");
        await bob.EnrollAsync();
        var users = Server.Get<UserService>();
        var bobEmail = EmailAddress.TryParse(bob.Email)!;

        var lastOne = await users.DemoteAsync(AliceEmail, "admin:test", CancellationToken.None);
        var promoted = await users.PromoteAsync(bobEmail, "admin:alice@example.com", CancellationToken.None);
        var again = await users.PromoteAsync(bobEmail, "admin:alice@example.com", CancellationToken.None);
        var demoted = await users.DemoteAsync(AliceEmail, "admin:bob@example.com", CancellationToken.None);
        var bobLast = await users.DemoteAsync(bobEmail, "admin:bob@example.com", CancellationToken.None);

        Assert.Equal(ErrorCodes.LastAdministrator, lastOne.Problem?.Code);
        Assert.Equal(409, lastOne.Problem!.Status);
        Assert.True(promoted.Value!.Changed);
        Assert.False(again.Value!.Changed);
        Assert.True(demoted.Value!.Changed);
        Assert.Equal(ErrorCodes.LastAdministrator, bobLast.Problem?.Code);
        Assert.Equal([("alice@example.com", false), ("bob@example.com", true)],
            (await users.ListAsync(CancellationToken.None)).Select(u => (u.Email, u.IsAdmin)));
        Assert.Equal(["admin:alice@example.com"], (await AuditAsync(AuditEventTypes.UserPromoted)).Select(r => r.Actor));
        var demotion = Assert.Single(await AuditAsync(AuditEventTypes.UserDemoted));
        Assert.Equal("admin:bob@example.com", demotion.Actor);
        Assert.Contains("\"email\":\"alice@example.com\"", demotion.Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_an_enabled_administrator_counts_as_one()
    {
        await Alice.EnrollAsync();
        var users = Server.Get<UserService>();
        Guid aliceId;
        await using (var db = Server.Get<VouchDbContextFactory>().CreateDbContext())
            aliceId = (await db.Users.SingleAsync()).Id;
        // Another administrator first: the last enabled one cannot be disabled.
        using var bob = new ApiUser(Server, "bob@example.com");
        await bob.EnrollAsync();
        await users.PromoteAsync(EmailAddress.TryParse(bob.Email)!, "admin:test", CancellationToken.None);

        var enabled = await users.IsAdministratorAsync(aliceId, CancellationToken.None);
        Assert.True((await users.DisableAsync(AliceEmail, "admin:test", CancellationToken.None)).Value!.Changed);
        var disabled = await users.IsAdministratorAsync(aliceId, CancellationToken.None);

        Assert.True(enabled);
        Assert.False(disabled);
        Assert.False(await users.IsAdministratorAsync(Guid.NewGuid(), CancellationToken.None));
    }
}
