using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Server.Persistence;
using Vouch.Server.Sessions;

namespace Vouch.Server.Users;

/// <summary>
/// A user as <c>vouch-server users list</c> shows them; <see cref="Keys"/> counts the keys that are not revoked,
/// <see cref="IsAdmin"/> says whether they may use <c>/admin</c>.
/// </summary>
public sealed record UserSummary(
    string Email, string Domain, DateTimeOffset CreatedAt, int Keys, DateTimeOffset? LastLoginAt,
    DateTimeOffset? DisabledAt, string? DisabledBy, bool IsAdmin);

/// <summary>A live session as <c>vouch-server users show</c> lists it (never its token).</summary>
public sealed record SessionSummary(Guid Id, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

/// <summary>A user with every key (revoked ones too) and their live sessions.</summary>
public sealed record UserDetails(UserSummary User, IReadOnlyList<CredentialSummary> Keys, IReadOnlyList<SessionSummary> Sessions);

/// <summary>What disabling or enabling did: <see cref="Changed"/> is false when the user already was so.</summary>
public sealed record UserStateChange(bool Changed, int SessionsRevoked);

/// <summary>
/// The people who may log in: lists them, shows one, disables or enables them, and promotes them to administrator
/// or demotes them. Disabling revokes every live session in the same transaction; enabling restores login, not the
/// old sessions. The last enabled administrator can be neither demoted nor disabled, so <c>/admin</c> always has
/// someone who may use it.
/// </summary>
public sealed class UserService(VouchDbContextFactory factory, AuditLog audit, SessionService sessions, TimeProvider time)
{
    /// <summary>Every user, by email.</summary>
    public async Task<IReadOnlyList<UserSummary>> ListAsync(CancellationToken cancellationToken)
    {
        await using var db = factory.CreateDbContext();
        var users = await db.Users.AsNoTracking().ToListAsync(cancellationToken);
        var keys = (await db.Credentials.AsNoTracking().ToListAsync(cancellationToken)).ToLookup(c => c.UserId);
        return users.OrderBy(u => u.Email, StringComparer.Ordinal).Select(u => Summarize(u, keys[u.Id])).ToList();
    }

    /// <summary>The user with <paramref name="email"/>, their keys and their live sessions.</summary>
    public async Task<Outcome<UserDetails>> ShowAsync(EmailAddress email, CancellationToken cancellationToken)
    {
        await using var db = factory.CreateDbContext();
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Email == email.Value, cancellationToken);
        if (user is null) return Problems.NoSuchUser(email.Value);
        var keys = await db.Credentials.AsNoTracking().Where(c => c.UserId == user.Id).ToListAsync(cancellationToken);
        var now = StoredTime.Now(time);
        var live = await db.Sessions.AsNoTracking()
            .Where(s => s.UserId == user.Id && s.RevokedAt == null && s.ExpiresAt > now)
            .ToListAsync(cancellationToken);
        return new UserDetails(
            Summarize(user, keys),
            keys.OrderBy(k => k.CreatedAt).Select(k => CredentialSummary.From(k, user.Email)).ToList(),
            live.OrderBy(s => s.CreatedAt).Select(s => new SessionSummary(s.Id, s.CreatedAt, s.ExpiresAt)).ToList());
    }

    /// <summary>Disables the user and revokes their live sessions, audited as <paramref name="actor"/>.</summary>
    public Task<Outcome<UserStateChange>> DisableAsync(EmailAddress email, string actor, CancellationToken cancellationToken) =>
        ChangeAsync(email, disable: true, actor, cancellationToken);

    /// <summary>Lets the user log in again; sessions revoked by disabling stay revoked.</summary>
    public Task<Outcome<UserStateChange>> EnableAsync(EmailAddress email, string actor, CancellationToken cancellationToken) =>
        ChangeAsync(email, disable: false, actor, cancellationToken);

    /// <summary>The refusal of demoting or disabling the only enabled administrator (HTTP 409): promote another user first.</summary>
    public static Problem LastAdministrator(EmailAddress email) =>
        new(ErrorCodes.LastAdministrator, $"{email} is the last administrator; promote another user first", StatusCodes.Status409Conflict);

    /// <summary>Makes the user an administrator, audited as <paramref name="actor"/>.</summary>
    public Task<Outcome<UserStateChange>> PromoteAsync(EmailAddress email, string actor, CancellationToken cancellationToken) =>
        ChangeAdministratorAsync(email, admin: true, actor, cancellationToken);

    /// <summary>Makes the administrator an ordinary user again, audited as <paramref name="actor"/>; refused for the last administrator.</summary>
    public Task<Outcome<UserStateChange>> DemoteAsync(EmailAddress email, string actor, CancellationToken cancellationToken) =>
        ChangeAdministratorAsync(email, admin: false, actor, cancellationToken);

    /// <summary>
    /// Whether the user <paramref name="userId"/> is an enabled administrator now: read from the database on every
    /// call, so that a demotion or a disabling takes effect on the administrator's next request.
    /// </summary>
    public async Task<bool> IsAdministratorAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var db = factory.CreateDbContext();
        return await db.Users.AsNoTracking().AnyAsync(u => u.Id == userId && u.IsAdmin && u.DisabledAt == null, cancellationToken);
    }

    private Task<Outcome<UserStateChange>> ChangeAdministratorAsync(EmailAddress email, bool admin, string actor, CancellationToken cancellationToken) =>
        Conflicts.InTransactionAsync<Outcome<UserStateChange>>(factory, async db =>
        {
            await AuditLog.LockForAppendAsync(db, cancellationToken);
            var user = await db.Users.SingleOrDefaultAsync(u => u.Email == email.Value, cancellationToken);
            if (user is null) return Problems.NoSuchUser(email.Value);
            if (user.IsAdmin == admin) return new UserStateChange(Changed: false, SessionsRevoked: 0);
            if (!admin && await IsLastEnabledAdministratorAsync(db, user, cancellationToken)) return LastAdministrator(email);

            user.IsAdmin = admin;
            await audit.StageAppendAsync(db, cancellationToken, new AuditEntry
            {
                Type = admin ? AuditEventTypes.UserPromoted : AuditEventTypes.UserDemoted,
                Actor = actor,
                Data = new Dictionary<string, string> { ["email"] = user.Email },
            });
            return new UserStateChange(Changed: true, SessionsRevoked: 0);
        }, cancellationToken);

    private Task<Outcome<UserStateChange>> ChangeAsync(EmailAddress email, bool disable, string actor, CancellationToken cancellationToken) =>
        Conflicts.InTransactionAsync<Outcome<UserStateChange>>(factory, async db =>
        {
            await AuditLog.LockForAppendAsync(db, cancellationToken);
            var user = await db.Users.SingleOrDefaultAsync(u => u.Email == email.Value, cancellationToken);
            if (user is null) return Problems.NoSuchUser(email.Value);
            if ((user.DisabledAt is not null) == disable) return new UserStateChange(Changed: false, SessionsRevoked: 0);
            if (disable && await IsLastEnabledAdministratorAsync(db, user, cancellationToken)) return LastAdministrator(email);

            user.DisabledAt = disable ? StoredTime.Now(time) : null;
            user.DisabledBy = disable ? actor : null;
            await audit.StageAppendAsync(db, cancellationToken, new AuditEntry
            {
                Type = disable ? AuditEventTypes.UserDisabled : AuditEventTypes.UserEnabled,
                Actor = actor,
                Data = new Dictionary<string, string> { ["email"] = user.Email },
            });
            var revoked = disable ? await sessions.StageRevokeAsync(db, db.Sessions.Where(s => s.UserId == user.Id), actor, cancellationToken) : 0;
            return new UserStateChange(Changed: true, revoked);
        }, cancellationToken);

    /// <summary>
    /// Whether <paramref name="user"/> is an enabled administrator and no other is. Callers hold the audit log's lock
    /// first: two administrators disabling or demoting each other at once then take turns (on PostgreSQL; SQLite's
    /// write lock already orders them), and the second sees the first's change.
    /// </summary>
    private static async Task<bool> IsLastEnabledAdministratorAsync(VouchDbContext db, UserRecord user, CancellationToken cancellationToken) =>
        user.IsAdmin && user.DisabledAt is null &&
        !await db.Users.AnyAsync(u => u.IsAdmin && u.DisabledAt == null && u.Id != user.Id, cancellationToken);

    private static UserSummary Summarize(UserRecord user, IEnumerable<CredentialRecord> keys)
    {
        var all = keys.ToList();
        return new UserSummary(
            user.Email, user.Domain, user.CreatedAt, all.Count(k => k.RevokedAt is null), all.Max(k => k.LastUsedAt),
            user.DisabledAt, user.DisabledBy, user.IsAdmin);
    }
}
