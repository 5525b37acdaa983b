using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Vouch.Server.Persistence;

namespace Vouch.Server.Audit;

// Records from before keying: refusing them at start-up, and the operator's explicit, one-time seal.
public sealed partial class AuditLog
{
    /// <summary>Throws <see cref="UnkeyedAuditHeadException"/> when the newest record is unkeyed; the server checks this before it starts.</summary>
    public async Task RefuseUnkeyedHeadAsync(CancellationToken cancellationToken)
    {
        await using var db = factory.CreateDbContext();
        if (await ReadHead.For(db)(db, cancellationToken) is { KeyEncryptionKeyId: null } head)
            throw new UnkeyedAuditHeadException(head.Sequence, head.Hash);
    }

    /// <summary>
    /// Appends <c>audit.keyed</c> onto the unkeyed head, if it is exactly <paramref name="expected"/>: its HMAC covers
    /// that head, so from then on the unkeyed records cannot be rewritten unnoticed either. Its data hold how many
    /// records are unkeyed and the head accepted. Returns null once sealed, else why nothing was written.
    /// </summary>
    public Task<string?> SealUnkeyedHeadAsync(AuditHead expected, CancellationToken cancellationToken) =>
        Conflicts.InTransactionAsync(factory, async db =>
        {
            var auditKey = key ?? throw MissingKey();
            var head = await LockAndReadHeadAsync(db, cancellationToken);
            if (head is null) return "the audit log is empty: there is nothing to seal";
            if (head.KeyEncryptionKeyId is not null)
                return $"the newest record ({head.Sequence}) is already keyed: there is nothing to seal";
            if (head.Sequence != expected.Sequence || head.Hash != expected.Hash)
                return $"the unkeyed head is {head.Sequence}:{head.Hash}, not {expected}: the log changed since you checked it";
            var unkeyed = await db.AuditRecords.CountAsync(r => r.KeyEncryptionKeyId == null, cancellationToken);
            db.AuditRecords.AddRange(ChainOnto(auditKey, head, [new AuditEntry
            {
                Type = AuditEventTypes.AuditKeyed, Actor = AuditActors.Admin,
                Data = new Dictionary<string, string>
                {
                    [AuditKeyedData.UnkeyedRecords] = unkeyed.ToString(CultureInfo.InvariantCulture),
                    [AuditKeyedData.UnkeyedHead] = $"{head.Sequence}:{head.Hash}",
                },
            }]));
            return (string?)null;
        }, cancellationToken);
}

/// <summary>The data of an <c>audit.keyed</c> record.</summary>
public static class AuditKeyedData
{
    public const string UnkeyedRecords = "unkeyed_records";
    public const string UnkeyedHead = "unkeyed_head";
}
