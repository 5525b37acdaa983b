using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Vouch.Server.Persistence;

namespace Vouch.Server.Audit;

/// <summary>
/// Appends events to the hash-chained audit log. <see cref="AppendAsync"/> adds to a caller's unit of work so an event
/// is stored with the change it describes, or not at all. On PostgreSQL, where several instances append at once,
/// appenders take turns (a transaction-scoped advisory lock held until their commit) instead of colliding on the
/// next sequence number; on SQLite the database's own write lock orders them, and a busy file is retried.
/// </summary>
public sealed class AuditLog(VouchDbContextFactory factory, TimeProvider time)
{
    /// <summary>The advisory lock key that orders audit appends on PostgreSQL ("vouchaud" in ASCII).</summary>
    public const long AppendLockKey = 0x766F756368617564;

    /// <summary>Stages <paramref name="entries"/> on <paramref name="db"/>; they are written by its next SaveChanges.</summary>
    public async Task AppendAsync(VouchDbContext db, CancellationToken cancellationToken, params IReadOnlyList<AuditEntry> entries)
    {
        // Entries staged earlier on this unit of work come last in the chain (a change and its consequences,
        // such as a disabled user's revoked sessions, are appended step by step).
        var staged = db.AuditRecords.Local.MaxBy(r => r.Sequence);
        if (staged is null && db.Database.IsNpgsql() && db.Database.CurrentTransaction is not null)
            await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_xact_lock({AppendLockKey})", cancellationToken);
        var last = staged is not null
            ? new { staged.Sequence, staged.Hash }
            : await db.AuditRecords.AsNoTracking()
                .OrderByDescending(r => r.Sequence)
                .Select(r => new { r.Sequence, r.Hash })
                .FirstOrDefaultAsync(cancellationToken);
        var sequence = last?.Sequence ?? 0;
        var previous = last?.Hash ?? AuditHash.Genesis;
        var now = StoredTime.Now(time);
        foreach (var entry in entries)
        {
            sequence++;
            var data = JsonSerializer.Serialize(
                new SortedDictionary<string, string>(entry.Data.ToDictionary(), StringComparer.Ordinal),
                AuditJsonContext.Default.SortedDictionaryStringString);
            var hash = AuditHash.Compute(sequence, now, entry.Type, entry.Actor, entry.ClientAddress, data, previous);
            db.AuditRecords.Add(new AuditRecord
            {
                Sequence = sequence, Time = now, Type = entry.Type, Actor = entry.Actor,
                ClientAddress = entry.ClientAddress, Data = data, PreviousHash = previous, Hash = hash,
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
}
