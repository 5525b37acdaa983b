using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Server.Persistence;
using Vouch.Server.Secrets;

namespace Vouch.Server.Users;

/// <summary>
/// A new invite: the code (shown once, never stored), its record, and the user it adds a key to when the email
/// already has one (null for a new user).
/// </summary>
public sealed record CreatedInvite(string Code, InviteRecord Invite, UserRecord? ExistingUser);

/// <summary>An invite as <c>vouch-server invites list</c> shows it (never its code); <see cref="State"/> is one of <see cref="InviteStates"/>.</summary>
public sealed record InviteSummary(
    Guid Id, string Email, string Domain, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string CreatedBy, string State);

/// <summary>Where an invite stands.</summary>
public static class InviteStates
{
    public const string Pending = "pending";
    public const string Used = "used";
    public const string Expired = "expired";
    public const string Revoked = "revoked";
}

/// <summary>What revoking an invite did: <see cref="Changed"/> is false when it already was revoked.</summary>
public sealed record InviteRevocation(InviteSummary Invite, bool Changed);

/// <summary>
/// One-time enrollment codes: each is for one email, expires, and is stored only hashed. Creates, lists and
/// revokes them, tells a usable one from an unknown, used, expired or revoked one, and claims one for exactly one
/// enrollment. An invite for the email of an existing user adds a key to that user.
/// </summary>
public sealed class InviteService(VouchDbContextFactory factory, AuditLog audit, TimeProvider time)
{
    public const string CodePrefix = "vi_";

    /// <summary>
    /// The invite link for <paramref name="code"/>: the enrollment page under <paramref name="issuer"/>,
    /// <c>ISSUER/enroll#code=CODE</c>: the code in the fragment, which browsers never send, so that no server or proxy
    /// log and no Referer holds it (security.md M2).
    /// </summary>
    public static string EnrollLink(string issuer, string code) =>
        $"{issuer.TrimEnd('/')}/enroll#code={Uri.EscapeDataString(code)}";

    /// <summary>How long an invite stays valid by default (72 hours).</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(72);

    /// <summary>What every unusable invite answers, whatever the reason (a revoked one like a used one): the reason is not the caller's business.</summary>
    private static Problem Unusable(string reason) =>
        new(ErrorCodes.InvalidInvite, "the invite code is unknown, used or expired") { Reason = reason };

    public async Task<CreatedInvite> CreateAsync(EmailAddress email, string domain, TimeSpan lifetime, string actor, CancellationToken cancellationToken)
    {
        var code = OpaqueSecret.Generate(CodePrefix);
        var now = StoredTime.Now(time);
        var invite = new InviteRecord
        {
            Id = Guid.NewGuid(),
            CodeHash = OpaqueSecret.Hash(code),
            Email = email.Value,
            Domain = domain,
            CreatedAt = now,
            ExpiresAt = now + lifetime,
            CreatedBy = actor,
        };
        var existing = await Conflicts.InTransactionAsync(factory, async db =>
        {
            db.Invites.Add(invite);
            await audit.StageAppendAsync(db, cancellationToken, new AuditEntry
            {
                Type = AuditEventTypes.InviteCreated,
                Actor = actor,
                Data = new Dictionary<string, string>
                {
                    ["invite_id"] = invite.Id.ToString(),
                    ["email"] = invite.Email,
                    ["domain"] = invite.Domain,
                    ["expires_at"] = invite.ExpiresAt.ToString("O", CultureInfo.InvariantCulture),
                },
            });
            return await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Email == invite.Email, cancellationToken);
        }, cancellationToken);
        return new CreatedInvite(code, invite, existing);
    }

    /// <summary>Every invite, oldest first.</summary>
    public async Task<IReadOnlyList<InviteSummary>> ListAsync(CancellationToken cancellationToken)
    {
        await using var db = factory.CreateDbContext();
        var invites = await db.Invites.AsNoTracking().ToListAsync(cancellationToken);
        var now = StoredTime.Now(time);
        return invites.OrderBy(i => i.CreatedAt).Select(i => Summarize(i, now)).ToList();
    }

    /// <summary>
    /// Revokes the invite <paramref name="id"/> so that it can no longer enroll a key, audited as
    /// <paramref name="actor"/>. A used invite cannot be revoked: the key it enrolled can (see its problem).
    /// </summary>
    public Task<Outcome<InviteRevocation>> RevokeAsync(Guid id, string actor, CancellationToken cancellationToken) =>
        Conflicts.InTransactionAsync<Outcome<InviteRevocation>>(factory, async db =>
        {
            var invite = await db.Invites.SingleOrDefaultAsync(i => i.Id == id, cancellationToken);
            if (invite is null) return new Problem(ErrorCodes.NotFound, $"no invite {id}", StatusCodes.Status404NotFound);
            var now = StoredTime.Now(time);
            switch (StateOf(invite, now))
            {
                case InviteStates.Used:
                    return new Problem(ErrorCodes.InvalidInvite,
                        $"invite {id} was already used to enroll a key for {invite.Email}; revoke that key instead " +
                        $"(vouch-server credentials list --email {invite.Email})");
                case InviteStates.Revoked:
                    return new InviteRevocation(Summarize(invite, now), Changed: false);
            }
            invite.RevokedAt = now;
            invite.RevokedBy = actor;
            await audit.StageAppendAsync(db, cancellationToken, new AuditEntry
            {
                Type = AuditEventTypes.InviteRevoked,
                Actor = actor,
                Data = new Dictionary<string, string> { ["invite_id"] = invite.Id.ToString(), ["email"] = invite.Email },
            });
            return new InviteRevocation(Summarize(invite, now), Changed: true);
        }, cancellationToken);

    /// <summary>The invite with this code, if it can still be used.</summary>
    public async Task<Outcome<InviteRecord>> FindUsableAsync(string? code, CancellationToken cancellationToken)
    {
        if (!OpaqueSecret.HasShape(code, CodePrefix)) return Unusable("unknown invite");
        await using var db = factory.CreateDbContext();
        var hash = OpaqueSecret.Hash(code!);
        var invite = await db.Invites.AsNoTracking().SingleOrDefaultAsync(i => i.CodeHash == hash, cancellationToken);
        return invite is null ? Unusable("unknown invite") : CheckUsable(invite);
    }

    /// <summary>
    /// The invite with this code and where it stands, or null for an unknown code; only reads, never claims it (the
    /// enrollment page shows whom an invite is for before the key is touched).
    /// </summary>
    public async Task<InviteSummary?> FindAsync(string? code, CancellationToken cancellationToken)
    {
        if (!OpaqueSecret.HasShape(code, CodePrefix)) return null;
        await using var db = factory.CreateDbContext();
        var hash = OpaqueSecret.Hash(code!);
        var invite = await db.Invites.AsNoTracking().SingleOrDefaultAsync(i => i.CodeHash == hash, cancellationToken);
        return invite is null ? null : Summarize(invite, StoredTime.Now(time));
    }

    /// <summary>The invite with this id, if it can still be used (an enrollment that started with it is finishing).</summary>
    public async Task<Outcome<InviteRecord>> FindUsableAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = factory.CreateDbContext();
        var invite = await db.Invites.AsNoTracking().SingleOrDefaultAsync(i => i.Id == id, cancellationToken);
        return invite is null ? Unusable("unknown invite") : CheckUsable(invite);
    }

    /// <summary>
    /// Marks the invite used inside the caller's transaction; false when a concurrent enrollment claimed it first,
    /// in which case the caller's change must not land.
    /// </summary>
    public async Task<bool> StageClaimAsync(VouchDbContext db, Guid inviteId, CancellationToken cancellationToken)
    {
        var now = StoredTime.Now(time);
        var claimed = await db.Invites
            .Where(i => i.Id == inviteId && i.UsedAt == null && i.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.UsedAt, now), cancellationToken);
        return claimed == 1;
    }

    /// <summary>The refusal for an invite a concurrent enrollment used first.</summary>
    public static Problem AlreadyUsed => Unusable("invite already used");

    private Outcome<InviteRecord> CheckUsable(InviteRecord invite) => StateOf(invite, StoredTime.Now(time)) switch
    {
        InviteStates.Pending => invite,
        var state => Unusable("invite " + state),
    };

    /// <summary>One of <see cref="InviteStates"/>: used before revoked (a used invite is never revoked) before expired.</summary>
    private static string StateOf(InviteRecord invite, DateTimeOffset now) =>
        invite.UsedAt is not null ? InviteStates.Used
        : invite.RevokedAt is not null ? InviteStates.Revoked
        : invite.ExpiresAt <= now ? InviteStates.Expired
        : InviteStates.Pending;

    private static InviteSummary Summarize(InviteRecord i, DateTimeOffset now) =>
        new(i.Id, i.Email, i.Domain, i.CreatedAt, i.ExpiresAt, i.CreatedBy, StateOf(i, now));
}
