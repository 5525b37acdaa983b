using System.Globalization;
using Vouch.Server.Audit;
using Vouch.Server.Persistence;

namespace Vouch.Server.Users;

/// <summary>A new invite: the code (shown once, never stored) and its record.</summary>
public sealed record CreatedInvite(string Code, InviteRecord Invite);

/// <summary>Creates one-time enrollment codes. Each is for one email, expires, and is stored only hashed.</summary>
public sealed class InviteService(VouchDbContextFactory factory, AuditLog audit, TimeProvider time)
{
    public const string CodePrefix = "vi_";

    /// <summary>How long an invite stays valid by default (72 hours).</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(72);

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
}
