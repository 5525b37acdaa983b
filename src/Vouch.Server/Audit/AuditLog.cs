using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Vouch.Server.Persistence;
using Vouch.Server.Secrets;

namespace Vouch.Server.Audit;

/// <summary>
/// Appends events to the audit log, chained with HMAC-SHA256 under the <see cref="AuditKey"/>. <see cref="StageAppendAsync"/> adds to a caller's unit of work so an event
/// is stored with the change it describes, or not at all. On PostgreSQL, where several instances append at once,
/// appenders take turns (a transaction-scoped advisory lock held until their commit) instead of colliding on the
/// next sequence number; on SQLite the database's own write lock orders them, and a busy file is retried.
/// <see cref="WriteAsync"/> (events on their own, such as every issued token) commits in groups: one appender per
/// instance writes everything queued while its previous transaction was committing in one transaction, so one
/// commit (one fsync, one advisory lock) serves many callers, and each caller's task completes only after the
/// commit that stored its event. Without a key (admin commands that only read) nothing can be appended, and no
/// path appends onto an unkeyed head (<see cref="UnkeyedAuditHeadException"/>): only <see cref="SealUnkeyedHeadAsync"/> does, once.
/// </summary>
public sealed partial class AuditLog(VouchDbContextFactory factory, TimeProvider time, AuditKey? key)
{
    private readonly Lock _gate = new();
    private List<PendingWrite> _queue = [];
    private bool _appending;
    private readonly AuditGroupWriter _groupWriter = new(factory.Settings);
    private long _committedGroups;

    /// <summary>The advisory lock key that orders audit appends on PostgreSQL ("vouchaud" in ASCII).</summary>
    public const long AppendLockKey = 0x766F756368617564;

    /// <summary>Stages <paramref name="entries"/> on <paramref name="db"/>; they are written by its next SaveChanges.</summary>
    /// <exception cref="KeyEncryptionKeyMismatchException">The log is keyed with another key-encryption key.</exception>
    public async Task StageAppendAsync(VouchDbContext db, CancellationToken cancellationToken, params IReadOnlyList<AuditEntry> entries)
    {
        var auditKey = key ?? throw MissingKey();
        // Entries staged earlier on this unit of work come last in the chain (a change and its consequences,
        // such as a disabled user's revoked sessions, are appended step by step).
        var staged = db.AuditRecords.Local.MaxBy(r => r.Sequence);
        var last = staged is not null ? new ChainHead(staged.Sequence, staged.Hash, staged.KeyEncryptionKeyId) : await LockAndReadHeadAsync(db, cancellationToken);
        db.AuditRecords.AddRange(Chain(auditKey, last, entries));
    }

    /// <summary>The records of <paramref name="entries"/>, in order, chained on <paramref name="last"/> and stamped now.</summary>
    /// <exception cref="KeyEncryptionKeyMismatchException">The log is keyed with another key-encryption key.</exception>
    /// <exception cref="UnkeyedAuditHeadException">The newest record is unkeyed.</exception>
    private List<AuditRecord> Chain(AuditKey auditKey, ChainHead? last, IReadOnlyList<AuditEntry> entries)
    {
        // A keyed record on an unkeyed head would vouch for a history anyone with the database can recompute
        // (delete the log, write back a plain SHA-256 chain with a record left out, wait for one event).
        if (last is { KeyEncryptionKeyId: null }) throw new UnkeyedAuditHeadException(last.Sequence, last.Hash);
        return ChainOnto(auditKey, last, entries);
    }

    /// <summary>As <see cref="Chain"/>, onto an unkeyed head too: for <see cref="SealUnkeyedHeadAsync"/> only.</summary>
    private List<AuditRecord> ChainOnto(AuditKey auditKey, ChainHead? last, IReadOnlyList<AuditEntry> entries)
    {
        if (last?.KeyEncryptionKeyId is { } keyedWith && keyedWith != auditKey.KeyEncryptionKeyId)
        {
            // A record keyed with another key would break the chain for everyone who verifies with the right one.
            throw new KeyEncryptionKeyMismatchException($"the audit log (up to record {last.Sequence}) is keyed with", keyedWith, auditKey.KeyEncryptionKeyId);
        }
        var sequence = last?.Sequence ?? 0;
        var previous = last?.Hash ?? AuditHash.Genesis;
        var now = StoredTime.Now(time);
        var records = new List<AuditRecord>(entries.Count);
        foreach (var entry in entries)
        {
            sequence++;
            var data = JsonSerializer.Serialize(
                new SortedDictionary<string, string>(entry.Data.ToDictionary(), StringComparer.Ordinal),
                AuditJsonContext.Default.SortedDictionaryStringString);
            var hash = AuditHash.ComputeKeyed(auditKey, sequence, now, entry.Type, entry.Actor, entry.ClientAddress, data, previous);
            records.Add(new AuditRecord
            {
                Sequence = sequence, Time = now, Type = entry.Type, Actor = entry.Actor, ClientAddress = entry.ClientAddress,
                Data = data, PreviousHash = previous, KeyEncryptionKeyId = auditKey.KeyEncryptionKeyId, Hash = hash,
            });
            previous = hash;
        }
        return records;
    }

    /// <summary>
    /// Writes <paramref name="entries"/> on their own, in the next group commit of this instance: the task completes
    /// once they are committed, and fails with the error of that group's transaction (nothing of the group is
    /// then written). Calls are chained in the order they were made. Cancelling before the group is taken drops the
    /// entries (the task is cancelled and nothing is written); once taken, the caller waits for the commit.
    /// </summary>
    public Task WriteAsync(CancellationToken cancellationToken, params IReadOnlyList<AuditEntry> entries)
    {
        if (key is null) return Task.FromException(MissingKey());
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled(cancellationToken);
        var pending = new PendingWrite(entries);
        pending.CancelWith(cancellationToken);
        bool start;
        lock (_gate)
        {
            _queue.Add(pending);
            start = !_appending;
            _appending = true;
        }
        if (start)
        {
            // The appender outlives the request that started it: it must not carry that request's context along.
            using (ExecutionContext.SuppressFlow()) _ = Task.Run(AppendQueuedAsync, CancellationToken.None);
        }
        return pending.Task;
    }

    /// <summary>How many <see cref="WriteAsync"/> calls wait for a group to take them (not counting the group committing now).</summary>
    internal int QueuedWrites
    {
        get
        {
            lock (_gate) return _queue.Count;
        }
    }

    /// <summary>How many group commits of <see cref="WriteAsync"/> calls this instance has made (for tests and benchmarks).</summary>
    public long CommittedGroups => Interlocked.Read(ref _committedGroups);

    /// <summary>
    /// The one appender of this instance: takes every write queued so far, commits them in one transaction (on a
    /// conflict with another writer the whole group is retried from a fresh head), completes their callers, and
    /// repeats until the queue is empty.
    /// </summary>
    private async Task AppendQueuedAsync()
    {
        while (true)
        {
            List<PendingWrite> queued;
            lock (_gate)
            {
                if (_queue.Count == 0)
                {
                    _appending = false;
                    return;
                }
                (queued, _queue) = (_queue, []);
            }
            var group = queued.Where(p => p.TryTake()).ToList();
            if (group.Count == 0) continue;
            try
            {
                // Not the callers' tokens: one caller giving up must not undo the others' commit.
                var entries = group.SelectMany(p => p.Entries).ToList();
                await Conflicts.RetryAsync(async () =>
                {
                    await _groupWriter.StageAppendAsync(head => Chain(key!, head, entries));
                    return true;
                }, CancellationToken.None);
            }
            // Not a catch-all that hides: every exception is handed, unchanged, to each caller of the failed group.
            catch (Exception e)
            {
                foreach (var p in group) p.Fail(e);
                continue;
            }
            Interlocked.Increment(ref _committedGroups);
            foreach (var p in group) p.Complete();
        }
    }

    private static InvalidOperationException MissingKey() =>
        new("writing to the audit log needs the key-encryption key, and this command was started without it");

    /// <summary>A <see cref="WriteAsync"/> call waiting for its group: queued, then taken (committing) or cancelled.</summary>
    private sealed class PendingWrite(IReadOnlyList<AuditEntry> entries)
    {
        private const int Queued = 0, Taken = 1, Cancelled = 2;
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _state;
        private CancellationTokenRegistration _registration;

        public IReadOnlyList<AuditEntry> Entries => entries;
        public Task Task => _done.Task;

        public void CancelWith(CancellationToken cancellationToken)
        {
            if (!cancellationToken.CanBeCanceled) return;
            _registration = cancellationToken.Register(() =>
            {
                if (Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued) _done.TrySetCanceled(cancellationToken);
            });
        }

        /// <summary>Takes this write into a group unless it was cancelled first.</summary>
        public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued;

        public void Complete()
        {
            _registration.Dispose();
            _done.TrySetResult();
        }

        public void Fail(Exception exception)
        {
            _registration.Dispose();
            _done.TrySetException(exception);
        }
    }

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

    private static async Task<ChainHead?> LockAndReadHeadAsync(VouchDbContext db, CancellationToken cancellationToken)
    {
        await LockForAppendAsync(db, cancellationToken);
        return await ReadHead.For(db)(db, cancellationToken);
    }

    /// <summary>The newest record's chain head; compiled, since every audited change reads it.</summary>
    private static readonly ProviderCompiled<Func<VouchDbContext, CancellationToken, Task<ChainHead?>>> ReadHead = new(() =>
        EF.CompileAsyncQuery((VouchDbContext db, CancellationToken _) => db.AuditRecords.AsNoTracking()
            .OrderByDescending(r => r.Sequence)
            .Select(r => new ChainHead(r.Sequence, r.Hash, r.KeyEncryptionKeyId))
            .FirstOrDefault()));
}
