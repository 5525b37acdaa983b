using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Server.Persistence;
using Vouch.Server.Users;

namespace Vouch.Server.Sessions;

/// <summary>A new session: the bearer token (never stored) and when the session ends.</summary>
public sealed record CreatedSession(string Token, Guid Id, DateTimeOffset ExpiresAt);

/// <summary>A live session presented with a request, and its user.</summary>
public sealed record AuthenticatedSession(SessionRecord Session, UserRecord User)
{

    /// <summary>How the audit log names the session's user.</summary>
    public string Actor => "user:" + User.Email;
}

/// <summary>
/// Login sessions: 8 hours from login, never extended, stored as the SHA-256 of their token, revocable.
/// </summary>
public sealed class SessionService(VouchDbContextFactory factory, AuditLog audit, TimeProvider time)
{
    public const string TokenPrefix = "vs_";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);

    public async Task<CreatedSession> CreateAsync(UserRecord user, byte[] credentialId, string? client, CancellationToken cancellationToken)
    {
        var token = OpaqueSecret.Generate(TokenPrefix);
        var now = StoredTime.Now(time);
        var session = new SessionRecord
        {
            Id = Guid.NewGuid(), TokenHash = OpaqueSecret.Hash(token), UserId = user.Id, CredentialId = credentialId,
            CreatedAt = now, ExpiresAt = now + Lifetime,
        };
        await Conflicts.InTransactionAsync(factory, async db =>
        {
            db.Sessions.Add(session);
            await audit.AppendAsync(db, cancellationToken, new AuditEntry
            {
                Type = AuditEventTypes.LoginSucceeded, Actor = "user:" + user.Email, ClientAddress = client,
                // The session's id (not its token) lets an administrator revoke it.
                Data = new Dictionary<string, string> { ["session_id"] = session.Id.ToString() },
            });
            return true;
        }, cancellationToken);
        return new CreatedSession(token, session.Id, session.ExpiresAt);
    }

    /// <summary>The live session whose bearer token is <paramref name="token"/>, or why there is none (401).</summary>
    public async Task<Outcome<AuthenticatedSession>> FindAsync(string? token, CancellationToken cancellationToken)
    {
        if (!OpaqueSecret.HasShape(token, TokenPrefix)) return Unknown;
        await using var db = factory.CreateDbContext();
        var hash = OpaqueSecret.Hash(token!);
        var session = await db.Sessions.AsNoTracking().SingleOrDefaultAsync(s => s.TokenHash == hash, cancellationToken);
        if (session is null) return Unknown;
        if (session.RevokedAt is not null)
            return new Problem(ErrorCodes.SessionRevoked, "the session was revoked: run 'vouch login'", StatusCodes.Status401Unauthorized);
        if (session.ExpiresAt <= time.GetUtcNow())
            return new Problem(ErrorCodes.SessionExpired, "the session expired: run 'vouch login'", StatusCodes.Status401Unauthorized);
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == session.UserId, cancellationToken);
        return new AuthenticatedSession(session, user);
    }

    private static readonly Problem Unknown =
        new(ErrorCodes.InvalidSession, "no valid session: run 'vouch login'", StatusCodes.Status401Unauthorized);

    /// <summary>Revokes one session by id, or every live session of a user by email; returns how many.</summary>
    public async Task<int> RevokeAsync(Guid? sessionId, string? email, string actor, CancellationToken cancellationToken)
    {
        var now = StoredTime.Now(time);
        return await Conflicts.InTransactionAsync(factory, async db =>
        {
            var query = db.Sessions.Where(s => s.RevokedAt == null && s.ExpiresAt > now);
            if (sessionId is { } id) query = query.Where(s => s.Id == id);
            if (email is not null) query = query.Where(s => db.Users.Any(u => u.Id == s.UserId && u.Email == email));
            var sessions = await query.ToListAsync(cancellationToken);
            foreach (var session in sessions)
            {
                session.RevokedAt = now;
                session.RevokedBy = actor;
            }
            if (sessions.Count > 0)
            {
                await audit.AppendAsync(db, cancellationToken, sessions.Select(s => new AuditEntry
                {
                    Type = AuditEventTypes.SessionRevoked, Actor = actor,
                    Data = new Dictionary<string, string> { ["session_id"] = s.Id.ToString() },
                }).ToList());
            }
            return sessions.Count;
        }, cancellationToken);
    }
}
