using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Server.Persistence;
using Vouch.Server.Secrets;

namespace Vouch.Server.Sessions;

/// <summary>A new session: the bearer token (never stored) and when the session ends.</summary>
public sealed record CreatedSession(string Token, Guid Id, DateTimeOffset ExpiresAt);

/// <summary>A live session as the administrator's console lists it: whose, which kind (<see cref="SessionKinds"/>), when.</summary>
public sealed record LiveSession(Guid Id, string Email, string Kind, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

/// <summary>
/// A live session presented with a request, and its user; <see cref="HardwareKey"/> when it was opened with a key
/// whose attestation proved it hardware.
/// </summary>
public sealed record AuthenticatedSession(SessionRecord Session, UserRecord User, bool HardwareKey = false)
{
    /// <summary>How the audit log names the session's user.</summary>
    public string Actor => AuditActors.User(User.Email);
}

/// <summary>
/// Login sessions: 8 hours from login, never extended, stored as the SHA-256 of their token, revocable.
/// </summary>
public sealed class SessionService(VouchDbContextFactory factory, AuditLog audit, TimeProvider time)
{
    private readonly SessionLookup _lookup = new(factory.Settings);

    public const string TokenPrefix = "vs_";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);

    /// <summary>
    /// Starts a session for <paramref name="user"/> with the key <paramref name="credentialId"/>, unless the user is
    /// disabled by the time it would be stored: the user's row is locked (a no-op update) in the same transaction, so
    /// a concurrent <c>users disable</c> either waits for this session and revokes it, or is seen and refuses it.
    /// </summary>
    public Task<Outcome<CreatedSession>> CreateAsync(UserRecord user, byte[] credentialId, string? client, CancellationToken cancellationToken) =>
        CreateAsync(user, credentialId, SessionKinds.Cli, client, cancellationToken);

    /// <summary>As <see cref="CreateAsync(UserRecord, byte[], string?, CancellationToken)"/>, for a session of <paramref name="kind"/> (one of <see cref="SessionKinds"/>).</summary>
    public async Task<Outcome<CreatedSession>> CreateAsync(UserRecord user, byte[] credentialId, string kind, string? client, CancellationToken cancellationToken)
    {
        var created = await Conflicts.InTransactionAsync(factory, db => StageCreateAsync(db, user, credentialId, kind, client, cancellationToken), cancellationToken);
        return created is not null ? created : Problems.UserDisabled;
    }

    /// <summary>
    /// Stages on the caller's transaction (<paramref name="db"/>) a session of <paramref name="kind"/> for
    /// <paramref name="user"/> and its audit record, locking the user's row as <see cref="CreateAsync(UserRecord, byte[], string?, CancellationToken)"/>
    /// explains; null, with nothing staged, when the user is disabled. The session exists once the caller commits.
    /// </summary>
    public async Task<CreatedSession?> StageCreateAsync(VouchDbContext db, UserRecord user, byte[] credentialId, string kind, string? client, CancellationToken cancellationToken)
    {
        var enabled = await db.Users.Where(u => u.Id == user.Id && u.DisabledAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.DisabledAt, x => x.DisabledAt), cancellationToken);
        if (enabled == 0) return null;
        var token = OpaqueSecret.Generate(TokenPrefix);
        var now = StoredTime.Now(time);
        var session = new SessionRecord
        {
            Id = Guid.NewGuid(), TokenHash = OpaqueSecret.Hash(token), UserId = user.Id, Kind = kind, CredentialId = credentialId,
            CreatedAt = now, ExpiresAt = now + Lifetime,
        };
        db.Sessions.Add(session);
        await audit.StageAppendAsync(db, cancellationToken, new AuditEntry
        {
            Type = AuditEventTypes.LoginSucceeded, Actor = AuditActors.User(user.Email), ClientAddress = client,
            // The session's id (not its token) lets an administrator revoke it.
            Data = new Dictionary<string, string> { ["session_id"] = session.Id.ToString(), ["kind"] = kind },
        });
        return new CreatedSession(token, session.Id, session.ExpiresAt);
    }

    /// <summary>
    /// The live session whose bearer token is <paramref name="token"/>, or why there is none (401; 403 when its
    /// user is disabled). A session opened with a key that was revoked or locked since is refused as revoked.
    /// </summary>
    public Task<Outcome<AuthenticatedSession>> FindAsync(string? token, CancellationToken cancellationToken) =>
        FindAsync(token, SessionKinds.Cli, cancellationToken);

    /// <summary>
    /// As <see cref="FindAsync(string?, CancellationToken)"/>, for a session of <paramref name="kind"/>: a browser's
    /// session presented as a bearer (or the reverse) is unknown.
    /// </summary>
    public async Task<Outcome<AuthenticatedSession>> FindAsync(string? token, string kind, CancellationToken cancellationToken)
    {
        if (!OpaqueSecret.HasShape(token, TokenPrefix)) return Unknown;
        var hash = OpaqueSecret.Hash(token!);
        // Read on every request, never cached: a revoked session or a disabled user is refused by every instance at
        // once. A read is safe to run again, so a database that was away for a moment costs a retry, not an error.
        var found = await DatabaseOutages.ReadAsync(() => _lookup.FindAsync(hash, kind, cancellationToken), cancellationToken);
        if (found is null) return Unknown;
        // Before the session's own state: disabling revokes every session, and the user should learn why.
        if (found.User.DisabledAt is not null) return Problems.UserDisabled;
        if (found.Session.RevokedAt is not null || found.KeyRevoked)
            return new Problem(ErrorCodes.SessionRevoked, "the session was revoked: run 'vouch login'", StatusCodes.Status401Unauthorized);
        if (found.Session.ExpiresAt <= time.GetUtcNow())
            return new Problem(ErrorCodes.SessionExpired, "the session expired: run 'vouch login'", StatusCodes.Status401Unauthorized);
        return new AuthenticatedSession(found.Session, found.User, found.HardwareKey);
    }

    /// <summary>The live sessions of <paramref name="userId"/> (both kinds), newest first.</summary>
    public async Task<IReadOnlyList<SessionRecord>> ListLiveOfUserAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var db = factory.CreateDbContext();
        var now = StoredTime.Now(time);
        var live = await db.Sessions.AsNoTracking()
            .Where(s => s.UserId == userId && s.RevokedAt == null && s.ExpiresAt > now)
            .Where(s => !db.Credentials.Any(c => c.Id == s.CredentialId && (c.RevokedAt != null || c.LockedAt != null)))
            .ToListAsync(cancellationToken);
        return live.OrderByDescending(s => s.CreatedAt).ToList();
    }

    /// <summary>Every live session of every user (both kinds), newest first, with its user's email; never a token.</summary>
    public async Task<IReadOnlyList<LiveSession>> ListAllLiveAsync(CancellationToken cancellationToken)
    {
        await using var db = factory.CreateDbContext();
        var now = StoredTime.Now(time);
        var live = await db.Sessions.AsNoTracking()
            .Where(s => s.RevokedAt == null && s.ExpiresAt > now)
            .Where(s => !db.Credentials.Any(c => c.Id == s.CredentialId && (c.RevokedAt != null || c.LockedAt != null)))
            .Join(db.Users.AsNoTracking().Where(u => u.DisabledAt == null), s => s.UserId, u => u.Id,
                (s, u) => new LiveSession(s.Id, u.Email, s.Kind, s.CreatedAt, s.ExpiresAt))
            .ToListAsync(cancellationToken);
        return live.OrderByDescending(s => s.CreatedAt).ToList();
    }

    private static readonly Problem Unknown =
        new(ErrorCodes.InvalidSession, "no valid session: run 'vouch login'", StatusCodes.Status401Unauthorized);

    /// <summary>Revokes one session by id, or every live session of a user by email, and commits; returns how many.</summary>
    public Task<int> RevokeAsync(Guid? sessionId, string? email, string actor, CancellationToken cancellationToken) =>
        Conflicts.InTransactionAsync(factory, db =>
        {
            IQueryable<SessionRecord> query = db.Sessions;
            if (sessionId is { } id) query = query.Where(s => s.Id == id);
            if (email is not null) query = query.Where(s => db.Users.Any(u => u.Id == s.UserId && u.Email == email));
            return StageRevokeAsync(db, query, actor, cancellationToken);
        }, cancellationToken);

    /// <summary>
    /// <c>vouch-server sessions revoke</c>: like <see cref="RevokeAsync(Guid?, string?, string, CancellationToken)"/>,
    /// but an id no session has, or an email (normalized) no user has, is a <c>not_found</c> problem, so that a typo in an urgent
    /// revocation does not look like success.
    /// </summary>
    public Task<Outcome<int>> RevokeNamedAsync(Guid? sessionId, string? address, string actor, CancellationToken cancellationToken) =>
        Conflicts.InTransactionAsync(factory, async db =>
        {
            if (address is not null && !await db.Users.AnyAsync(u => u.Email == address, cancellationToken))
                return (Outcome<int>)Problems.NoSuchUser(address);
            if (sessionId is { } id && !await db.Sessions.AnyAsync(s => s.Id == id, cancellationToken))
                return new Problem(ErrorCodes.NotFound, "no session has that id", StatusCodes.Status404NotFound);
            IQueryable<SessionRecord> query = db.Sessions;
            if (sessionId is { } only) query = query.Where(s => s.Id == only);
            if (address is not null) query = query.Where(s => db.Users.Any(u => u.Id == s.UserId && u.Email == address));
            return await StageRevokeAsync(db, query, actor, cancellationToken);
        }, cancellationToken);

    /// <summary>
    /// Stages on the caller's unit of work the revocation of the live sessions among <paramref name="sessions"/>,
    /// each audited, so that they end with the change that ends them (a disabled user, a revoked key); returns how many.
    /// </summary>
    public Task<int> StageRevokeAsync(VouchDbContext db, IQueryable<SessionRecord> sessions, string actor, CancellationToken cancellationToken) =>
        StageRevokeAsync(db, sessions, actor, null, cancellationToken);

    /// <summary>Logout: ends the caller's own session, audited with the address it came from (as its login and tokens are).</summary>
    public Task LogOutAsync(Guid sessionId, string actor, string? clientAddress, CancellationToken cancellationToken) =>
        Conflicts.InTransactionAsync(factory, db => StageRevokeAsync(db, db.Sessions.Where(s => s.Id == sessionId), actor, clientAddress, cancellationToken), cancellationToken);

    private async Task<int> StageRevokeAsync(VouchDbContext db, IQueryable<SessionRecord> sessions, string actor, string? clientAddress, CancellationToken cancellationToken)
    {
        var now = StoredTime.Now(time);
        var live = await sessions.Where(s => s.RevokedAt == null && s.ExpiresAt > now).ToListAsync(cancellationToken);
        foreach (var session in live)
        {
            session.RevokedAt = now;
            session.RevokedBy = actor;
        }
        if (live.Count > 0)
        {
            await audit.StageAppendAsync(db, cancellationToken, live.Select(s => new AuditEntry
            {
                Type = AuditEventTypes.SessionRevoked, Actor = actor, ClientAddress = clientAddress,
                Data = new Dictionary<string, string> { ["session_id"] = s.Id.ToString() },
            }).ToList());
        }
        return live.Count;
    }
}
