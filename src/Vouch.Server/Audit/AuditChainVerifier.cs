using Microsoft.EntityFrameworkCore;
using Vouch.Server.Persistence;

namespace Vouch.Server.Audit;

/// <summary>The outcome of checking the audit chain: how many records, the head hash, and the first break.</summary>
public sealed record AuditVerification(long Records, string HeadHash, long? BrokenAt, string? Problem)
{
    public bool Intact => BrokenAt is null;
}

/// <summary>Recomputes every record's hash and checks that each links to the one before, with no gaps.</summary>
public sealed class AuditChainVerifier(VouchDbContextFactory factory)
{
    public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken)
    {
        await using var db = factory.CreateDbContext();
        long expected = 1;
        var previous = AuditHash.Genesis;
        await foreach (var record in db.AuditRecords.AsNoTracking().OrderBy(r => r.Sequence).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            if (record.Sequence != expected)
                return new AuditVerification(expected - 1, previous, expected, $"record {expected} is missing");
            if (record.PreviousHash != previous)
                return new AuditVerification(expected - 1, previous, record.Sequence, $"record {record.Sequence} does not link to record {record.Sequence - 1}");
            if (AuditHash.Compute(record) != record.Hash)
                return new AuditVerification(expected - 1, previous, record.Sequence, $"record {record.Sequence} was altered (its hash does not match its content)");
            previous = record.Hash;
            expected++;
        }
        return new AuditVerification(expected - 1, previous, null, null);
    }
}
