using Microsoft.EntityFrameworkCore;
using Vouch.Server.Audit;
using Vouch.Server.Persistence;
using Vouch.Server.Secrets;

namespace Vouch.Server.Keys;

/// <summary>What a rotation did: the key that stops signing, the one that takes over and when, and the new next key.</summary>
public sealed record RotationResult(string? PreviousKid, string Kid, DateTimeOffset ActivatesAt, string NextKid, DateTimeOffset NextActivatesAt);

/// <summary>
/// Changes the stored signing keys (creating keys needs the key-encryption key). Every change runs in one transaction with its audit events; a new
/// key takes a unique generation number, so when several instances act at once only one change lands and the
/// others re-read and find nothing left to do. No change is made under a key-encryption key other than the one
/// that sealed the current key (<see cref="KeyEncryptionKeyMismatchException"/>), and a next key that could never
/// sign (sealed with another key-encryption key, or altered) is removed before it is due.
/// </summary>
public sealed class KeyStore(VouchDbContextFactory factory, AuditLog audit, TimeProvider time, KeyPolicy policy, SigningKeyFactory keyFactory)
{
    private readonly SigningKeyReader _reader = new(factory);

    /// <summary>The stored keys, as every instance reads them.</summary>
    public Task<IReadOnlyList<SigningKeyRecord>> LoadAsync(CancellationToken cancellationToken) => _reader.LoadAsync(cancellationToken);

    /// <summary>
    /// Makes sure a key signs now and the next one is already published, and deletes keys whose tokens have all
    /// expired. Returns the audit entries written (none when there was nothing to do).
    /// </summary>
    public async Task<IReadOnlyList<AuditEntry>> EnsureAsync(string actor, CancellationToken cancellationToken)
    {
        var (_, written) = await ChangeAsync(actor, (db, records, now, changes) =>
        {
            var schedule = new KeySchedule<SigningKeyRecord>(records);
            var current = schedule.CurrentAt(now);
            if (current is null)
            {
                // First start (or only future keys, after the clock went back): nothing can be published ahead.
                current = Add(db, records, now, now, changes, actor, "first key");
            }
            if (!records.Any(k => k.ActivatesAt > now))
            {
                var activatesAt = Max(current.ActivatesAt + policy.RotationInterval, now + KeyPolicy.PublishLead);
                Add(db, records, now, activatesAt, changes, actor, "next key");
            }
            schedule = new KeySchedule<SigningKeyRecord>(records);
            foreach (var expired in records.Where(k => schedule.StatusAt(k, now) == KeyStatus.Expired).ToList())
            {
                db.SigningKeys.Remove(expired);
                changes.Add(Entry(AuditEventTypes.KeyRemoved, actor, expired.Kid, ("reason", "every token it signed has expired")));
            }
            return true;
        }, cancellationToken);
        return written;
    }

    /// <summary>
    /// Hands signing to the next key as soon as it is safe (after <see cref="KeyPolicy.RotationLead"/>, when every
    /// instance has re-read the new activation time, if the key was published long enough ago, else when it has been
    /// published for <see cref="KeyPolicy.PublishLead"/>), and publishes a new next key.
    /// </summary>
    public async Task<RotationResult> RotateAsync(string actor, CancellationToken cancellationToken)
    {
        var (result, _) = await ChangeAsync<RotationResult>(actor, (db, records, now, changes) =>
        {
            var schedule = new KeySchedule<SigningKeyRecord>(records);
            var previous = schedule.CurrentAt(now);
            var upcoming = records.Where(k => k.ActivatesAt > now).OrderBy(k => k.ActivatesAt).ThenBy(k => k.Generation).ToList();
            SigningKeyRecord promoted;
            if (upcoming.Count == 0)
            {
                promoted = Add(db, records, now, now + KeyPolicy.PublishLead, changes, actor, "rotation");
            }
            else
            {
                promoted = upcoming[0];
                promoted.ActivatesAt = Max(now + KeyPolicy.RotationLead, promoted.CreatedAt + KeyPolicy.PublishLead);
                promoted.Version = Guid.NewGuid();
            }

            var nextActivatesAt = promoted.ActivatesAt + policy.RotationInterval;
            var next = upcoming.Skip(1).FirstOrDefault();
            if (next is null)
            {
                next = Add(db, records, now, nextActivatesAt, changes, actor, "next key");
            }
            else
            {
                next.ActivatesAt = nextActivatesAt;
                next.Version = Guid.NewGuid();
            }
            changes.Add(Entry(AuditEventTypes.KeyRotated, actor, promoted.Kid,
                ("previous_kid", previous?.Kid ?? ""), ("activates_at", promoted.ActivatesAt.ToString("O"))));
            return new RotationResult(previous?.Kid, promoted.Kid, promoted.ActivatesAt, next.Kid, next.ActivatesAt);
        }, cancellationToken);
        return result;
    }

    private delegate T Change<out T>(VouchDbContext db, List<SigningKeyRecord> records, DateTimeOffset now, List<AuditEntry> changes);

    private Task<(T Result, List<AuditEntry> Changes)> ChangeAsync<T>(string actor, Change<T> change, CancellationToken cancellationToken) =>
        Conflicts.InTransactionAsync(factory, async db =>
        {
            var records = await db.SigningKeys.ToListAsync(cancellationToken);
            var now = StoredTime.Now(time);
            var changes = new List<AuditEntry>();
            RemoveUnusableNextKeys(db, records, now, changes, actor);
            var result = change(db, records, now, changes);
            if (changes.Count > 0) await audit.StageAppendAsync(db, cancellationToken, changes);
            return (result, changes);
        }, cancellationToken);

    /// <summary>
    /// Refuses to act with a key-encryption key other than the current key's (an administrator pointing another
    /// key, such as a development one, at this database), and removes next keys that could never sign: otherwise
    /// every instance would stop signing when such a key came due.
    /// </summary>
    private void RemoveUnusableNextKeys(VouchDbContext db, List<SigningKeyRecord> records, DateTimeOffset now, List<AuditEntry> changes, string actor)
    {
        var ours = keyFactory.KeyEncryptionKeyId;
        var current = new KeySchedule<SigningKeyRecord>(records).CurrentAt(now);
        // The current key is what every instance signs with: its key-encryption key is the database's. Without one
        // (first start, or the clock went back), any key sealed with another means this is not our database.
        var witness = current ?? records.FirstOrDefault(k => k.KeyEncryptionKeyId != ours);
        if (witness is not null && witness.KeyEncryptionKeyId != ours)
            throw new KeyEncryptionKeyMismatchException($"the {(witness == current ? "current " : "")}signing key {witness.Kid} was sealed with", witness.KeyEncryptionKeyId, ours);
        foreach (var next in records.Where(k => k.ActivatesAt > now).ToList())
        {
            if (keyFactory.Check(next) is not { } problem) continue;
            db.SigningKeys.Remove(next);
            records.Remove(next);
            changes.Add(Entry(AuditEventTypes.KeyRemoved, actor, next.Kid, ("reason", "it could never sign: " + problem)));
        }
    }

    private SigningKeyRecord Add(VouchDbContext db, List<SigningKeyRecord> records, DateTimeOffset now, DateTimeOffset activatesAt,
        List<AuditEntry> changes, string actor, string reason)
    {
        var generation = records.Count == 0 ? 1 : records.Max(k => k.Generation) + 1;
        var record = keyFactory.Create(generation, now, StoredTime.Truncate(activatesAt));
        db.SigningKeys.Add(record);
        records.Add(record);
        changes.Add(Entry(AuditEventTypes.KeyCreated, actor, record.Kid,
            ("generation", generation.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("activates_at", record.ActivatesAt.ToString("O")), ("reason", reason)));
        return record;
    }

    private static AuditEntry Entry(string type, string actor, string kid, params (string Key, string Value)[] data) => new()
    {
        Type = type,
        Actor = actor,
        Data = data.Append(("kid", kid)).ToDictionary(d => d.Item1, d => d.Item2),
    };

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
