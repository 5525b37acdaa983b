using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Server.Persistence;

namespace Vouch.Server.Users;

/// <summary>A new invite: the code (shown once, never stored) and its record.</summary>
public sealed record CreatedInvite(string Code, InviteRecord Invite);

/// <summary>
/// One-time enrollment codes: each is for one email, expires, and is stored only hashed. Creates them, tells a
/// usable one from an unknown, used or expired one, and claims one for exactly one enrollment.
/// </summary>
public sealed class InviteService(VouchDbContextFactory factory, AuditLog audit, TimeProvider time)
{
    public const string CodePrefix = "vi_";

    /// <summary>How long an invite stays valid by default (72 hours).</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(72);

    /// <summary>What every unusable invite answers, whatever the reason: the reason is not the caller's business.</summary>
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
        await Conflicts.InTransactionAsync(factory, async db =>
        {
            db.Invites.Add(invite);
            await audit.AppendAsync(db, cancellationToken, new AuditEntry
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
            return true;
        }, cancellationToken);
        return new CreatedInvite(code, invite);
    }

    /// <summary>The invite with this code, if it can still be used.</summary>
    public async Task<Outcome<InviteRecord>> FindUsableAsync(string? code, CancellationToken cancellationToken)
    {
        if (!OpaqueSecret.HasShape(code, CodePrefix)) return Unusable("unknown invite");
        await using var db = factory.CreateDbContext();
        var hash = OpaqueSecret.Hash(code!);
        var invite = await db.Invites.AsNoTracking().SingleOrDefaultAsync(i => i.CodeHash == hash, cancellationToken);
        return invite is null ? Unusable("unknown invite") : CheckUsable(invite);
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
    public async Task<bool> ClaimAsync(VouchDbContext db, Guid inviteId, CancellationToken cancellationToken)
    {
        var now = StoredTime.Now(time);
        var claimed = await db.Invites
            .Where(i => i.Id == inviteId && i.UsedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.UsedAt, now), cancellationToken);
        return claimed == 1;
    }

    /// <summary>The refusal for an invite a concurrent enrollment used first.</summary>
    public static Problem AlreadyUsed => Unusable("invite already used");

    private Outcome<InviteRecord> CheckUsable(InviteRecord invite)
    {
        if (invite.UsedAt is not null) return Unusable("invite already used");
        if (invite.ExpiresAt <= StoredTime.Now(time)) return Unusable("invite expired");
        return invite;
    }
}
