using Microsoft.EntityFrameworkCore;
using Vouch.Protocol;
using Vouch.Server.Persistence;
using Vouch.Server.Sessions;
using Vouch.Server.Users;

namespace Vouch.Server.WebAuthn;

/// <summary>
/// The end of a verified login: the key's sign counter moves and the session starts in one transaction, so the
/// session, its audit record and the counter are stored together or not at all.
/// </summary>
public sealed class LoginTransaction(VouchDbContextFactory factory, SessionService sessions, TimeProvider time)
{
    /// <summary>A login's key changed between its check and its session (the same outward error as any refused assertion).</summary>
    public static Problem KeyChanged { get; } =
        new(ErrorCodes.WebAuthnFailed, "the security key's response was not accepted") { Reason = "concurrent use of the credential" };

    /// <summary>
    /// Starts a session of <paramref name="kind"/> for <paramref name="user"/> with <paramref name="key"/> as it was
    /// read when its assertion was verified, and moves the key's sign counter to <paramref name="signCount"/>.
    /// Refused with <see cref="KeyChanged"/> when the key's row changed since it was read (another login moved the
    /// counter first, or the key was revoked or locked), and as <see cref="Problems.UserDisabled"/> when the user is disabled.
    /// </summary>
    public Task<Outcome<CreatedSession>> CommitAsync(
        UserRecord user, CredentialRecord key, long signCount, string kind, string? client, CancellationToken cancellationToken)
    {
        var now = StoredTime.Now(time);
        var version = Guid.NewGuid();
        return Conflicts.InTransactionAsync(factory, async db =>
        {
            // The session first: its audit append takes the lock that orders writers (on PostgreSQL) before this
            // transaction locks the key's row, in the order every audited change takes them.
            if (await sessions.StageCreateAsync(db, user, key.Id, kind, client, cancellationToken) is not { } session) return Problems.UserDisabled;
            var moved = await db.Credentials
                .Where(c => c.Id == key.Id && c.Version == key.Version && c.RevokedAt == null && c.LockedAt == null)
                .ExecuteUpdateAsync(c => c
                    .SetProperty(x => x.SignCount, signCount)
                    .SetProperty(x => x.LastUsedAt, now)
                    .SetProperty(x => x.Version, version), cancellationToken);
            if (moved == 1) return Outcome<CreatedSession>.Ok(session);
            // Nothing of this login is stored: the staged session and audit record are dropped before the commit.
            db.ChangeTracker.Clear();
            return KeyChanged;
        }, cancellationToken);
    }
}
