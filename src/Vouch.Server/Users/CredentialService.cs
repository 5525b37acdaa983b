using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Server.Persistence;
using Vouch.Server.Sessions;
using Vouch.Server.WebAuthn;

namespace Vouch.Server.Users;

/// <summary>An enrolled key as the admin commands show it; <see cref="Id"/> is the credential id in lowercase hex.</summary>
public sealed record CredentialSummary(
    string Id, string Email, Guid AaGuid, DateTimeOffset AddedAt, DateTimeOffset? LastUsedAt,
    DateTimeOffset? RevokedAt, string? RevokedBy)
{
    public static CredentialSummary From(CredentialRecord key, string email) =>
        new(CredentialService.FormatId(key.Id), email, key.AaGuid, key.CreatedAt, key.LastUsedAt, key.RevokedAt, key.RevokedBy);
}

/// <summary>What revoking a key did: <see cref="Changed"/> is false when it already was revoked.</summary>
public sealed record CredentialRevocation(CredentialSummary Credential, bool Changed, int SessionsRevoked);

/// <summary>
/// Enrolled security keys: lists them and revokes one that is lost or stolen. A revoked key can no longer log
/// in, and the sessions it opened end with it; the user's other keys are untouched.
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
            if (!await users.AnyAsync(cancellationToken)) return UserService.NoSuchUser(email);
        }
        var keys = await db.Credentials.AsNoTracking()
            .Join(users, c => c.UserId, u => u.Id, (c, u) => new { Key = c, u.Email })
            .ToListAsync(cancellationToken);
        return keys.OrderBy(k => k.Email, StringComparer.Ordinal).ThenBy(k => k.Key.CreatedAt)
            .Select(k => CredentialSummary.From(k.Key, k.Email)).ToList();
    }

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
            if (key is null) return new Problem(ErrorCodes.NotFound, $"no credential {id}", StatusCodes.Status404NotFound);
            var email = await db.Users.Where(u => u.Id == key.UserId).Select(u => u.Email).SingleAsync(cancellationToken);
            if (key.RevokedAt is not null) return new CredentialRevocation(CredentialSummary.From(key, email), Changed: false, SessionsRevoked: 0);

            key.RevokedAt = StoredTime.Now(time);
            key.RevokedBy = actor;
            // A login with this key that read it before now then fails to store its counter, and is refused.
            key.Version = Guid.NewGuid();
            await audit.AppendAsync(db, cancellationToken, new AuditEntry
            {
                Type = AuditEventTypes.CredentialRevoked,
                Actor = actor,
                Data = new Dictionary<string, string> { ["credential_id"] = id, ["email"] = email, ["aaguid"] = key.AaGuid.ToString() },
            });
            var revoked = await sessions.RevokeAsync(db, db.Sessions.Where(s => s.CredentialId == credentialId), actor, cancellationToken);
            return new CredentialRevocation(CredentialSummary.From(key, email), Changed: true, revoked);
        }, cancellationToken);
    }
}
