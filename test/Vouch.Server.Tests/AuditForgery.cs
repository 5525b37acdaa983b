using Microsoft.EntityFrameworkCore;
using Vouch.Server.Audit;
using Vouch.Server.Persistence;

namespace Vouch.Server.Tests;

/// <summary>What someone with the database and the published algorithm can do to the audit log without the KEK.</summary>
internal static class AuditForgery
{
    /// <summary>
    /// Deletes the log and writes back its records as a plain SHA-256 chain (kek_id null), as a version before keying
    /// wrote them or as the security review's attacker (H2) forges them, leaving out record <paramref name="leftOut"/>
    /// (0: none). Returns the new head.
    /// </summary>
    public static async Task<AuditHead> RewriteUnkeyedAsync(VouchDbContextFactory factory, long leftOut)
    {
        await using var db = factory.CreateDbContext();
        var records = await db.AuditRecords.AsNoTracking().OrderBy(r => r.Sequence).ToListAsync();
        await db.Database.ExecuteSqlRawAsync("DELETE FROM audit_log");
        var previous = AuditHash.Genesis;
        long n = 0;
        foreach (var r in records.Where(r => r.Sequence != leftOut))
        {
            n++;
            var hash = AuditHash.ComputeUnkeyed(n, r.Time, r.Type, r.Actor, r.ClientAddress, r.Data, previous);
            db.AuditRecords.Add(new AuditRecord
            {
                Sequence = n, Time = r.Time, Type = r.Type, Actor = r.Actor, ClientAddress = r.ClientAddress, Data = r.Data,
                PreviousHash = previous, Hash = hash,
            });
            previous = hash;
        }
        await db.SaveChangesAsync();
        return new AuditHead(n, previous);
    }
}
