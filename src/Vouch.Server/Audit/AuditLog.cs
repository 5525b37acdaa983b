using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Vouch.Server.Keys;
using Vouch.Server.Persistence;

namespace Vouch.Server.Audit;

/// <summary>
/// Appends events to the audit log, chained with HMAC-SHA256 under the <see cref="AuditKey"/>. <see cref="AppendAsync"/> adds to a caller's unit of work so an event
/// is stored with the change it describes, or not at all. On PostgreSQL, where several instances append at once,
/// appenders take turns (a transaction-scoped advisory lock held until their commit) instead of colliding on the
/// next sequence number; on SQLite the database's own write lock orders them, and a busy file is retried.
/// Without a key (admin commands that only read) nothing can be appended.
/// </summary>
public sealed class AuditLog(VouchDbContextFactory factory, TimeProvider time, AuditKey? key)
{
    /// <summary>The advisory lock key that orders audit appends on PostgreSQL ("vouchaud" in ASCII).</summary>
    public const long AppendLockKey = 0x766F756368617564;

    /// <summary>Stages <paramref name="entries"/> on <paramref name="db"/>; they are written by its next SaveChanges.</summary>
    /// <exception cref="KeyEncryptionKeyMismatchException">The log is keyed with another key-encryption key.</exception>
    public async Task AppendAsync(VouchDbContext db, CancellationToken cancellationToken, params IReadOnlyList<AuditEntry> entries)
    {
        var auditKey = key ?? throw new InvalidOperationException("writing to the audit log needs the key-encryption key, and this command was started without it");
        // Entries staged earlier on this unit of work come last in the chain (a change and its consequences,
        // such as a disabled user's revoked sessions, are appended step by step).
        var staged = db.AuditRecords.Local.MaxBy(r => r.Sequence);
        var last = staged is not null ? new Head(staged.Sequence, staged.Hash, staged.KeyEncryptionKeyId) : await LockAndReadHeadAsync(db, cancellationToken);
        if (last?.KeyEncryptionKeyId is { } keyedWith && keyedWith != auditKey.KeyEncryptionKeyId)
        {
            // A record keyed with another key would break the chain for everyone who verifies with the right one.
            throw new KeyEncryptionKeyMismatchException($"the audit log (up to record {last.Sequence}) is keyed with", keyedWith, auditKey.KeyEncryptionKeyId);
        }
        var sequence = last?.Sequence ?? 0;
        var previous = last?.Hash ?? AuditHash.Genesis;
        var now = StoredTime.Now(time);
        foreach (var entry in entries)
        {
            sequence++;
            var data = JsonSerializer.Serialize(
                new SortedDictionary<string, string>(entry.Data.ToDictionary(), StringComparer.Ordinal),
                AuditJsonContext.Default.SortedDictionaryStringString);
            var hash = AuditHash.ComputeKeyed(auditKey, sequence, now, entry.Type, entry.Actor, entry.ClientAddress, data, previous);
            db.AuditRecords.Add(new AuditRecord
            {
                Sequence = sequence, Time = now, Type = entry.Type, Actor = entry.Actor, ClientAddress = entry.ClientAddress,
                Data = data, PreviousHash = previous, KeyEncryptionKeyId = auditKey.KeyEncryptionKeyId, Hash = hash,
            });
            previous = hash;
        }
    }

    /// <summary>Writes <paramref name="entries"/> on their own, retrying when another writer appended first.</summary>
    public Task WriteAsync(CancellationToken cancellationToken, params IReadOnlyList<AuditEntry> entries) =>
        Conflicts.InTransactionAsync(factory, async db =>
        {
            await AppendAsync(db, cancellationToken, entries);
            return true;
        }, cancellationToken);

    /// <summary>
    /// When the newest record is unkeyed (written before the chain was keyed), appends <c>audit.keyed</c>: its
    /// HMAC covers the unkeyed head, so from then on the unkeyed records cannot be rewritten unnoticed either. The
    /// server does this at start-up; returns whether it appended.
    /// </summary>
    public Task<bool> SealUnkeyedAsync(CancellationToken cancellationToken) =>
        Conflicts.InTransactionAsync(factory, async db =>
        {
            if (await LockAndReadHeadAsync(db, cancellationToken) is not { KeyEncryptionKeyId: null } head) return false;
            await AppendAsync(db, cancellationToken, new AuditEntry
            {
                Type = AuditEventTypes.AuditKeyed, Actor = AuditActors.System,
                Data = new Dictionary<string, string> { ["unkeyed_records"] = head.Sequence.ToString(CultureInfo.InvariantCulture) },
            });
            return true;
        }, cancellationToken);

    /// <summary>
    /// On PostgreSQL, takes the lock that orders audit appends for the rest of the caller's transaction (appending
    /// later takes it again at no cost), so that a check made after it cannot be raced by another writer's change
    /// that is also audited. On SQLite the database's write lock already orders writers.
    /// </summary>
    public static async Task LockForAppendAsync(VouchDbContext db, CancellationToken cancellationToken)
    {
        if (db.Database.IsNpgsql() && db.Database.CurrentTransaction is not null)
            await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_xact_lock({AppendLockKey})", cancellationToken);
    }

    private sealed record Head(long Sequence, string Hash, string? KeyEncryptionKeyId);

    private static async Task<Head?> LockAndReadHeadAsync(VouchDbContext db, CancellationToken cancellationToken)
    {
        await LockForAppendAsync(db, cancellationToken);
        return await db.AuditRecords.AsNoTracking()
            .OrderByDescending(r => r.Sequence)
            .Select(r => new Head(r.Sequence, r.Hash, r.KeyEncryptionKeyId))
            .FirstOrDefaultAsync(cancellationToken);
    }
}
