using Microsoft.EntityFrameworkCore;
using Vouch.Server.Audit;
using Vouch.Server.Persistence;
using Xunit;

namespace Vouch.Server.Tests.Persistence;

// Records from before keying: a log re-rooted on a forged plain SHA-256 history takes no event and never verifies;
// a genuine old one verifies only once the operator has sealed it and accepts the head they checked.
public abstract partial class StoreContractTests
{
    private static readonly AuditEntry AnEvent = new() { Type = "test.event", Actor = "alice" };

    /// <summary>Writes <paramref name="count"/> records as a version before keying did: plain SHA-256, no kek_id.</summary>
    private async Task<VouchDbContextFactory> WriteUnkeyedEventsAsync(int count)
    {
        var factory = Instance().Factory;
        await using var db = factory.CreateDbContext();
        var previous = AuditHash.Genesis;
        var now = StoredTime.Now(Time);
        for (var n = 1; n <= count; n++)
        {
            var hash = AuditHash.ComputeUnkeyed(n, now, "test.event", "alice", null, "{}", previous);
            db.AuditRecords.Add(new AuditRecord { Sequence = n, Time = now, Type = "test.event", Actor = "alice", Data = "{}", PreviousHash = previous, Hash = hash });
            previous = hash;
        }
        await db.SaveChangesAsync();
        return factory;
    }

    /// <summary>The attack of the security review (H2), record <paramref name="leftOut"/> left out. Returns the forged head.</summary>
    private static Task<AuditHead> ReRootWithoutAsync(VouchDbContextFactory factory, long leftOut) =>
        AuditForgery.RewriteUnkeyedAsync(factory, leftOut);

    [Fact]
    public async Task A_log_re_rooted_on_a_plain_sha256_history_takes_no_event_and_never_verifies()
    {
        var factory = await WriteEventsAsync(5);
        var forged = await ReRootWithoutAsync(factory, leftOut: 3);
        var before = await Verifier(factory).VerifyAsync(CancellationToken.None);

        // One ordinary event, by every way of appending: each refuses, and nothing is written.
        var (_, audit, _) = Instance();
        var grouped = await Assert.ThrowsAsync<UnkeyedAuditHeadException>(() => audit.WriteAsync(CancellationToken.None, AnEvent));
        await using (var db = factory.CreateDbContext())
            await Assert.ThrowsAsync<UnkeyedAuditHeadException>(() => audit.StageAppendAsync(db, CancellationToken.None, AnEvent));
        await Assert.ThrowsAsync<UnkeyedAuditHeadException>(() => audit.RefuseUnkeyedHeadAsync(CancellationToken.None));
        var after = await Verifier(factory).VerifyAsync(CancellationToken.None);
        var accepted = await Verifier(factory).VerifyAsync(CancellationToken.None, acceptedUnkeyedHead: forged);

        Assert.Equal(forged, grouped.Head);
        Assert.Contains($"audit seal --expect-unkeyed-head {forged}", grouped.Message, StringComparison.Ordinal);
        Assert.Equal(4, await CountAuditRecordsAsync(factory));
        foreach (var verification in new[] { before, after, accepted })
        {
            Assert.False(verification.Intact);
            Assert.Contains("no record is keyed", verification.Problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_keyed_record_chained_onto_an_unkeyed_head_without_the_seal_fails_even_with_that_head_accepted()
    {
        // What a server before this fix appended onto a forged head: an ordinary keyed event, not audit.keyed.
        var factory = await WriteUnkeyedEventsAsync(3);
        var unkeyedHead = (await ReadRecordsAsync(factory))[^1];
        using var key = new AuditKey(Kek);
        var now = StoredTime.Now(Time);
        var hash = AuditHash.ComputeKeyed(key, 4, now, "token.issued", "user:alice@example.com", null, "{}", unkeyedHead.Hash);
        await using (var db = factory.CreateDbContext())
        {
            db.AuditRecords.Add(new AuditRecord
            {
                Sequence = 4, Time = now, Type = "token.issued", Actor = "user:alice@example.com", Data = "{}",
                PreviousHash = unkeyedHead.Hash, KeyEncryptionKeyId = key.KeyEncryptionKeyId, Hash = hash,
            });
            await db.SaveChangesAsync();
        }

        var plain = await Verifier(factory).VerifyAsync(CancellationToken.None);
        var accepted = await Verifier(factory).VerifyAsync(CancellationToken.None, acceptedUnkeyedHead: new AuditHead(3, unkeyedHead.Hash));

        Assert.False(plain.Intact);
        Assert.Equal(4, plain.BrokenAt);
        Assert.Contains("--accept-unkeyed-head 3:" + unkeyedHead.Hash, plain.Problem, StringComparison.Ordinal);
        Assert.False(accepted.Intact);
        Assert.Equal(4, accepted.BrokenAt);
        Assert.Contains("is not the audit.keyed seal", accepted.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unkeyed_log_sealed_with_its_head_verifies_only_with_that_head_accepted_and_a_wrong_head_is_refused()
    {
        var factory = await WriteUnkeyedEventsAsync(3);
        var hash = (await ReadRecordsAsync(factory))[^1].Hash;
        var head = new AuditHead(3, hash);
        var audit = Instance().Audit;

        var wrongSequence = await audit.SealUnkeyedHeadAsync(new AuditHead(2, hash), CancellationToken.None);
        var wrongHash = await audit.SealUnkeyedHeadAsync(new AuditHead(3, new string('a', 64)), CancellationToken.None);
        Assert.Contains("not 2:", wrongSequence, StringComparison.Ordinal);
        Assert.NotNull(wrongHash);
        Assert.Equal(3, await CountAuditRecordsAsync(factory));

        Assert.Null(await audit.SealUnkeyedHeadAsync(head, CancellationToken.None));
        Assert.Contains("already keyed", await audit.SealUnkeyedHeadAsync(head, CancellationToken.None), StringComparison.Ordinal);
        await audit.WriteAsync(CancellationToken.None, AnEvent);

        var seal = (await ReadRecordsAsync(factory))[3];
        Assert.Equal(AuditEventTypes.AuditKeyed, seal.Type);
        Assert.Equal($$"""{"unkeyed_head":"{{head}}","unkeyed_records":"3"}""", seal.Data);
        var unaccepted = await Verifier(factory).VerifyAsync(CancellationToken.None);
        Assert.False(unaccepted.Intact);
        Assert.Equal(4, unaccepted.BrokenAt);
        Assert.Contains("records 1..3 are unkeyed", unaccepted.Problem, StringComparison.Ordinal);
        var otherHead = await Verifier(factory).VerifyAsync(CancellationToken.None, acceptedUnkeyedHead: new AuditHead(2, hash));
        Assert.False(otherHead.Intact);
        var verification = await Verifier(factory).VerifyAsync(CancellationToken.None, acceptedUnkeyedHead: head);
        Assert.True(verification.Intact, verification.Problem);
        Assert.Equal(5, verification.Records);
        Assert.Equal(4, verification.KeyedFrom);

        // Once sealed, rewriting an unkeyed record (even recomputing the unkeyed part) breaks the keyed link.
        await RewriteUnkeyedRecordAsync(factory, 2, unkeyedCount: 3);
        var rewrittenHead = new AuditHead(3, (await ReadRecordsAsync(factory))[2].Hash);
        var rewritten = await Verifier(factory).VerifyAsync(CancellationToken.None, acceptedUnkeyedHead: rewrittenHead);
        Assert.Equal(4, rewritten.BrokenAt);
    }

    [Fact]
    public async Task A_log_keyed_from_its_first_record_verifies_without_an_accepted_head_and_fails_with_one()
    {
        var factory = await WriteEventsAsync(2);
        var verification = await Verifier(factory).VerifyAsync(CancellationToken.None);

        var accepted = await Verifier(factory).VerifyAsync(CancellationToken.None, acceptedUnkeyedHead: new AuditHead(verification.Records, verification.HeadHash));

        Assert.True(verification.Intact, verification.Problem);
        Assert.Equal(1, verification.KeyedFrom);
        Assert.Equal("the newest record (2) is already keyed: there is nothing to seal",
            await Instance().Audit.SealUnkeyedHeadAsync(new AuditHead(2, verification.HeadHash), CancellationToken.None));
        Assert.False(accepted.Intact);
        Assert.Contains("no record is unkeyed", accepted.Problem, StringComparison.Ordinal);
    }

    private static async Task<List<AuditRecord>> ReadRecordsAsync(VouchDbContextFactory factory)
    {
        await using var db = factory.CreateDbContext();
        return await db.AuditRecords.AsNoTracking().OrderBy(r => r.Sequence).ToListAsync();
    }

    private static async Task RewriteUnkeyedRecordAsync(VouchDbContextFactory factory, long from, long unkeyedCount)
    {
        await using var db = factory.CreateDbContext();
        var records = await db.AuditRecords.AsNoTracking().Where(r => r.Sequence <= unkeyedCount).OrderBy(r => r.Sequence).ToListAsync();
        var previous = records.Single(r => r.Sequence == from - 1).Hash;
        foreach (var r in records.Where(r => r.Sequence >= from))
        {
            var hash = AuditHash.ComputeUnkeyed(r.Sequence, r.Time, r.Type, "mallory", r.ClientAddress, r.Data, previous);
            await db.Database.ExecuteSqlAsync($"UPDATE audit_log SET actor = 'mallory', previous_hash = {previous}, hash = {hash} WHERE sequence = {r.Sequence}");
            previous = hash;
        }
    }
}
