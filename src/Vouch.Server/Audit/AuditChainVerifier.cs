using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Vouch.Server.Persistence;
using Vouch.Server.Secrets;

namespace Vouch.Server.Audit;

/// <summary>
/// The outcome of checking the audit chain: how many records verified, the head (last verified record's hash),
/// where the keyed part starts (null if no record is keyed), and the first problem.
/// </summary>
public sealed record AuditVerification(long Records, string HeadHash, long? KeyedFrom, long? BrokenAt, string? Problem)
{
    /// <summary>Every record verified, at least the newest is keyed, and the expected head (if any) was found.</summary>
    public bool Intact => Problem is null;
}

/// <summary>
/// A head an operator kept somewhere the database's writers cannot reach: <c>SEQ:HASH</c> as <c>audit head</c>
/// prints it, or the hash alone.
/// </summary>
public sealed record AuditHead(long? Sequence, string Hash)
{
    public static AuditHead? TryParse(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        long? sequence = null;
        if (colon >= 0)
        {
            if (!long.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return null;
            sequence = n;
        }
        var hash = text[(colon + 1)..].ToLowerInvariant();
        return hash.Length == 64 && hash.All(char.IsAsciiHexDigit) ? new AuditHead(sequence, hash) : null;
    }

    public override string ToString() => Sequence is { } n ? $"{n}:{Hash}" : Hash;
}

/// <summary>
/// Recomputes every record's hash and checks that each links to the one before, with no gaps. Records written
/// before the chain was keyed (no key-encryption key id) are checked as plain SHA-256 and may only come first;
/// every later record must be keyed with the configured key-encryption key. Anyone with database access can
/// recompute an unkeyed prefix, so one verifies only when the operator names the head they checked and accept
/// (<c>--accept-unkeyed-head</c>), and the first keyed record is the <c>audit.keyed</c> seal naming that head.
/// </summary>
public sealed class AuditChainVerifier(VouchDbContextFactory factory, AuditKey key)
{
    public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken, AuditHead? expectedHead = null, AuditHead? acceptedUnkeyedHead = null)
    {
        await using var db = factory.CreateDbContext();
        long expected = 1;
        var previous = AuditHash.Genesis;
        long? keyedFrom = null;
        var headFound = expectedHead is { Sequence: 0 } && expectedHead.Hash == AuditHash.Genesis;
        AuditVerification Broken(long at, string problem) => new(expected - 1, previous, keyedFrom, at, problem);

        await foreach (var record in db.AuditRecords.AsNoTracking().OrderBy(r => r.Sequence).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            var n = record.Sequence;
            if (n != expected)
                return Broken(expected, $"record {expected} is missing");
            if (record.PreviousHash != previous)
                return Broken(n, $"record {n} does not link to record {n - 1}");
            if (record.KeyEncryptionKeyId is null && keyedFrom is not null)
                return Broken(n, $"record {n} is unkeyed but follows keyed records: it was rewritten");
            if (record.KeyEncryptionKeyId is { } kekId && kekId != key.KeyEncryptionKeyId)
            {
                return Broken(n, $"record {n} is keyed with key-encryption key {kekId}, but the configured one " +
                    $"({KeyEncryptionKeyLoader.Settings}) is {key.KeyEncryptionKeyId}: " +
                    "verify with the server's key-encryption key (if that is the one configured, the record was altered)");
            }
            if (AuditHash.Compute(record, key) != record.Hash)
                return Broken(n, $"record {n} was altered (its hash does not match its content)");
            if (record.KeyEncryptionKeyId is not null && keyedFrom is null && KeyedStartProblem(record, previous, acceptedUnkeyedHead) is { } unaccepted)
                return Broken(n, unaccepted);
            if (record.KeyEncryptionKeyId is not null) keyedFrom ??= n;
            if (expectedHead is { } head && !headFound && (head.Sequence is null || head.Sequence == n))
            {
                headFound = record.Hash == head.Hash;
                if (!headFound && head.Sequence == n)
                    return Broken(n, $"record {n} has hash {record.Hash}, not the expected head {head.Hash}: the log was rewritten at or before record {n}");
            }
            previous = record.Hash;
            expected++;
        }

        var records = expected - 1;
        if (expectedHead is not null && !headFound)
        {
            var problem = expectedHead.Sequence is { } at && at > records
                ? $"the log ends at record {records}, before the expected head record {at}: records were removed"
                : $"no record has the expected head hash {expectedHead.Hash}: the log was rewritten before that head";
            return new AuditVerification(records, previous, keyedFrom, expectedHead.Sequence ?? records, problem);
        }
        if (records > 0 && keyedFrom is null)
        {
            return new AuditVerification(records, previous, null, null,
                "no record is keyed: a plain SHA-256 chain can be recomputed by anyone with database access; " +
                $"check these records against a head you kept, then seal them once with 'vouch-server audit seal --expect-unkeyed-head {records}:{previous}'");
        }
        if (acceptedUnkeyedHead is not null && keyedFrom is 1 or null)
        {
            return new AuditVerification(records, previous, keyedFrom, null,
                $"no record is unkeyed, but --accept-unkeyed-head {acceptedUnkeyedHead} was given: that head is not in this log");
        }
        return new AuditVerification(records, previous, keyedFrom, null, null);
    }

    /// <summary>
    /// Why the first keyed <paramref name="record"/> may not start the keyed part, or null: record 1 may (a log
    /// keyed from the start); after an unkeyed prefix ending in <paramref name="previous"/>, only an <c>audit.keyed</c>
    /// seal naming that head, which the operator accepted.
    /// </summary>
    private static string? KeyedStartProblem(AuditRecord record, string previous, AuditHead? accepted)
    {
        var n = record.Sequence;
        if (n == 1) return null;
        var head = new AuditHead(n - 1, previous);
        if (accepted is null)
        {
            return $"records 1..{n - 1} are unkeyed: anyone with database access could have recomputed them. Check them " +
                $"against a head you kept, then accept their head with --accept-unkeyed-head {head}";
        }
        if (accepted.Sequence != head.Sequence || accepted.Hash != head.Hash)
            return $"the unkeyed records end at head {head}, not at the accepted head {accepted}: they were rewritten, or another head was accepted";
        if (record.Type != AuditEventTypes.AuditKeyed || SealedHead(record.Data) != head.ToString())
            return $"record {n}, the first keyed record, is not the audit.keyed seal of the unkeyed head {head}: the log was re-rooted";
        return null;
    }

    /// <summary>The head an <c>audit.keyed</c> record's data name, or null.</summary>
    private static string? SealedHead(string data)
    {
        try
        {
            var fields = JsonSerializer.Deserialize(data, AuditJsonContext.Default.SortedDictionaryStringString);
            return fields is not null && fields.TryGetValue(AuditKeyedData.UnkeyedHead, out var head) ? head : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
