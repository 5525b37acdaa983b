using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Server.Persistence;
using Vouch.Server.Sessions;

namespace Vouch.Server.Users;

/// <summary>
/// An enrolled key as the admin commands show it; <see cref="Id"/> is the credential id in lowercase hex,
/// <see cref="LockedAt"/> when a login showed it may have been copied (see <see cref="CredentialService.LockAsync"/>).
/// </summary>
public sealed record CredentialSummary(
    string Id, string Email, Guid AaGuid, DateTimeOffset AddedAt, DateTimeOffset? LastUsedAt,
    DateTimeOffset? RevokedAt, string? RevokedBy, DateTimeOffset? LockedAt)
{
    public static CredentialSummary From(CredentialRecord key, string email) =>
        new(CredentialService.FormatId(key.Id), email, key.AaGuid, key.CreatedAt, key.LastUsedAt, key.RevokedAt, key.RevokedBy, key.LockedAt);
}

/// <summary>One of a user's own live keys as the account page shows it (the page names its model from <see cref="AaGuid"/>).</summary>
public sealed record AccountKey(
    string Id, string? Name, Guid AaGuid, DateTimeOffset AddedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? LockedAt);

/// <summary>What revoking a key did: <see cref="Changed"/> is false when it already was revoked.</summary>
public sealed record CredentialRevocation(CredentialSummary Credential, bool Changed, int SessionsRevoked);

/// <summary>What unlocking a key did: <see cref="Changed"/> is false when it was not locked.</summary>
public sealed record CredentialUnlock(CredentialSummary Credential, bool Changed);

/// <summary>
/// Enrolled security keys: lists them, revokes one that is lost or stolen, and locks one that a login showed to be
/// copied until an administrator unlocks (or revokes) it. A revoked or locked key cannot log in, and the sessions it
/// opened end with it; the user's other keys are untouched.
/// </summary>
public sealed class CredentialService(VouchDbContextFactory factory, AuditLog audit, SessionService sessions, TimeProvider time)
{
    private static readonly System.Buffers.SearchValues<char> LowercaseHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>How a credential id is shown and typed: lowercase hex of its bytes.</summary>
    public static string FormatId(byte[] id) => Convert.ToHexStringLower(id);

    /// <summary>The credential id in <paramref name="text"/>, exactly as <see cref="FormatId"/> writes it, or null.</summary>
    public static byte[]? TryParseId(string? text) =>
        text is { Length: > 0 } && text.Length % 2 == 0 && text.AsSpan().IndexOfAnyExcept(LowercaseHex) < 0
            ? Convert.FromHexString(text)
            : null;

    /// <summary>The answer for text that is not a credential id as <see cref="FormatId"/> writes it.</summary>
    public static Problem Malformed(string text) =>
        new(ErrorCodes.InvalidRequest, $"'{text}' is not a credential id: give it in lowercase hex, as 'vouch-server credentials list' shows it");

    /// <summary>Every key (revoked ones too), or only those of <paramref name="email"/>, by user then age.</summary>
    public async Task<Outcome<IReadOnlyList<CredentialSummary>>> ListAsync(EmailAddress? email, CancellationToken cancellationToken)
    {
        await using var db = factory.CreateDbContext();
        var users = db.Users.AsNoTracking();
        if (email is not null)
        {
            users = users.Where(u => u.Email == email.Value);
            if (!await users.AnyAsync(cancellationToken)) return Problems.NoSuchUser(email.Value);
        }
        var keys = await db.Credentials.AsNoTracking()
            .Join(users, c => c.UserId, u => u.Id, (c, u) => new { Key = c, u.Email })
            .ToListAsync(cancellationToken);
        return keys.OrderBy(k => k.Email, StringComparer.Ordinal).ThenBy(k => k.Key.CreatedAt)
            .Select(k => CredentialSummary.From(k.Key, k.Email)).ToList();
    }

    /// <summary>
    /// Locks the key <paramref name="credentialId"/>: a login verified with it presented the sign counter
    /// <paramref name="presented"/> where <paramref name="stored"/> was stored, so two keys hold its private key. Audited
    /// as a suspected clone with both counters; the sessions the key opened end (the copy may hold one), as
    /// <see cref="AuditActors.System"/>. A login with the key that read it before now then fails to store its counter.
    /// </summary>
    public Task LockAsync(byte[] credentialId, string email, long stored, long presented, string? client, CancellationToken cancellationToken) =>
        Conflicts.InTransactionAsync(factory, async db =>
        {
            var key = await db.Credentials.SingleAsync(c => c.Id == credentialId, cancellationToken);
            key.LockedAt ??= StoredTime.Now(time);
            key.Version = Guid.NewGuid();
            await audit.StageAppendAsync(db, cancellationToken, new AuditEntry
            {
                Type = AuditEventTypes.CloneSuspected, Actor = AuditActors.User(email), ClientAddress = client,
                Data = new Dictionary<string, string>
                {
                    ["credential_id"] = FormatId(credentialId),
                    ["stored_counter"] = stored.ToString(CultureInfo.InvariantCulture),
                    ["presented_counter"] = presented.ToString(CultureInfo.InvariantCulture),
                },
            });
            return await sessions.StageRevokeAsync(db, db.Sessions.Where(s => s.CredentialId == credentialId), AuditActors.System, cancellationToken);
        }, cancellationToken);

    /// <summary>
    /// Unlocks the key whose id is <paramref name="id"/> (as <see cref="FormatId"/> shows it), audited as
    /// <paramref name="actor"/>: it logs in again with a counter above the stored one. Sessions ended by the lock stay ended.
    /// </summary>
    public async Task<Outcome<CredentialUnlock>> UnlockAsync(string id, string actor, CancellationToken cancellationToken)
    {
        if (TryParseId(id) is not { } credentialId) return Malformed(id);
        return await Conflicts.InTransactionAsync<Outcome<CredentialUnlock>>(factory, async db =>
        {
            var key = await db.Credentials.SingleOrDefaultAsync(c => c.Id == credentialId, cancellationToken);
            if (key is null) return NoSuchCredential(id);
            var email = await db.Users.Where(u => u.Id == key.UserId).Select(u => u.Email).SingleAsync(cancellationToken);
            if (key.LockedAt is null) return new CredentialUnlock(CredentialSummary.From(key, email), Changed: false);

            key.LockedAt = null;
            key.Version = Guid.NewGuid();
            await audit.StageAppendAsync(db, cancellationToken, new AuditEntry
            {
                Type = AuditEventTypes.CredentialUnlocked,
                Actor = actor,
                Data = new Dictionary<string, string> { ["credential_id"] = id, ["email"] = email, ["sign_count"] = key.SignCount.ToString(CultureInfo.InvariantCulture) },
            });
            return new CredentialUnlock(CredentialSummary.From(key, email), Changed: true);
        }, cancellationToken);
    }

    /// <summary>The longest name a key may be given.</summary>
    public const int MaxNameLength = 64;

    /// <summary>The refusal to remove a user's last key without their explicit confirmation.</summary>
    public static Problem LastKeyNeedsConfirmation { get; } = new(ErrorCodes.InvalidRequest,
        "this is your only security key: without it you cannot sign in again until your administrator sends you an invite; confirm to remove it");

    /// <summary>The live (not revoked) keys of <paramref name="userId"/>, oldest first.</summary>
    public async Task<IReadOnlyList<AccountKey>> ListOwnAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var db = factory.CreateDbContext();
        var keys = await db.Credentials.AsNoTracking().Where(c => c.UserId == userId && c.RevokedAt == null).ToListAsync(cancellationToken);
        return keys.OrderBy(k => k.CreatedAt)
            .Select(k => new AccountKey(FormatId(k.Id), k.Name, k.AaGuid, k.CreatedAt, k.LastUsedAt, k.LockedAt))
            .ToList();
    }

    /// <summary>
    /// Names the key <paramref name="id"/> of <paramref name="userId"/> (trimmed, at most <see cref="MaxNameLength"/>
    /// characters; empty clears it), audited as <paramref name="actor"/>. Another user's key is not found.
    /// </summary>
    public async Task<Outcome<AccountKey>> RenameAsync(Guid userId, string id, string? name, string actor, CancellationToken cancellationToken)
    {
        if (TryParseId(id) is not { } credentialId) return Malformed(id);
        name = string.IsNullOrWhiteSpace(name) ? null : name.Trim();
        if (name is { Length: > MaxNameLength } || (name is not null && name.Any(char.IsControl)))
            return new Problem(ErrorCodes.InvalidRequest, $"a key's name is at most {MaxNameLength} characters, without control characters");
        return await Conflicts.InTransactionAsync<Outcome<AccountKey>>(factory, async db =>
        {
            var key = await db.Credentials.SingleOrDefaultAsync(c => c.Id == credentialId && c.UserId == userId && c.RevokedAt == null, cancellationToken);
            if (key is null) return NoSuchCredential(id);
            key.Name = name;
            var email = await db.Users.Where(u => u.Id == userId).Select(u => u.Email).SingleAsync(cancellationToken);
            await audit.StageAppendAsync(db, cancellationToken, new AuditEntry
            {
                Type = AuditEventTypes.CredentialRenamed,
                Actor = actor,
                Data = new Dictionary<string, string> { ["credential_id"] = id, ["email"] = email, ["name"] = name ?? "" },
            });
            return new AccountKey(id, key.Name, key.AaGuid, key.CreatedAt, key.LastUsedAt, key.LockedAt);
        }, cancellationToken);
    }

    /// <summary>
    /// Removes (revokes) the key <paramref name="id"/> of <paramref name="userId"/> and the sessions it opened, audited
    /// as <paramref name="actor"/>; the last live key only when <paramref name="confirmLast"/>, else
    /// <see cref="LastKeyNeedsConfirmation"/>. Another user's key is not found.
    /// </summary>
    public async Task<Outcome<CredentialRevocation>> RemoveOwnAsync(Guid userId, string id, bool confirmLast, string actor, CancellationToken cancellationToken)
    {
        if (TryParseId(id) is not { } credentialId) return Malformed(id);
        return await Conflicts.InTransactionAsync<Outcome<CredentialRevocation>>(factory, async db =>
        {
            // The user's row is locked first (a no-op update), so that two removals racing cannot both see a spare key.
            await db.Users.Where(u => u.Id == userId)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.DisabledAt, x => x.DisabledAt), cancellationToken);
            var live = await db.Credentials.Where(c => c.UserId == userId && c.RevokedAt == null).ToListAsync(cancellationToken);
            var key = live.SingleOrDefault(k => k.Id.AsSpan().SequenceEqual(credentialId));
            if (key is null) return NoSuchCredential(id);
            if (live.Count == 1 && !confirmLast) return LastKeyNeedsConfirmation;
            return await StageRevokeAsync(db, key, actor, cancellationToken);
        }, cancellationToken);
    }

    private static Problem NoSuchCredential(string id) => new(ErrorCodes.NotFound, $"no credential {id}", StatusCodes.Status404NotFound);

    /// <summary>
    /// Revokes the key whose id is <paramref name="id"/> (as <see cref="FormatId"/> shows it) and the sessions it
    /// opened, audited as <paramref name="actor"/>.
    /// </summary>
    public async Task<Outcome<CredentialRevocation>> RevokeAsync(string id, string actor, CancellationToken cancellationToken)
    {
        if (TryParseId(id) is not { } credentialId) return Malformed(id);
        return await Conflicts.InTransactionAsync<Outcome<CredentialRevocation>>(factory, async db =>
        {
            var key = await db.Credentials.SingleOrDefaultAsync(c => c.Id == credentialId, cancellationToken);
            if (key is null) return NoSuchCredential(id);
            return await StageRevokeAsync(db, key, actor, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>Stages on <paramref name="db"/> the revocation of <paramref name="key"/> (tracked) and of the sessions it opened, audited.</summary>
    private async Task<CredentialRevocation> StageRevokeAsync(VouchDbContext db, CredentialRecord key, string actor, CancellationToken cancellationToken)
    {
        var id = FormatId(key.Id);
        var email = await db.Users.Where(u => u.Id == key.UserId).Select(u => u.Email).SingleAsync(cancellationToken);
        if (key.RevokedAt is not null) return new CredentialRevocation(CredentialSummary.From(key, email), Changed: false, SessionsRevoked: 0);

        key.RevokedAt = StoredTime.Now(time);
        key.RevokedBy = actor;
        // A login with this key that read it before now then fails to store its counter, and is refused.
        key.Version = Guid.NewGuid();
        await audit.StageAppendAsync(db, cancellationToken, new AuditEntry
        {
            Type = AuditEventTypes.CredentialRevoked,
            Actor = actor,
            Data = new Dictionary<string, string> { ["credential_id"] = id, ["email"] = email, ["aaguid"] = key.AaGuid.ToString() },
        });
        var credentialId = key.Id;
        var revoked = await sessions.StageRevokeAsync(db, db.Sessions.Where(s => s.CredentialId == credentialId), actor, cancellationToken);
        return new CredentialRevocation(CredentialSummary.From(key, email), Changed: true, revoked);
    }
}
