using Microsoft.EntityFrameworkCore;
using Vouch.Server.Secrets;
using Vouch.Server.Audit;
using Vouch.Server.Keys;
using Vouch.Server.Persistence;
using Xunit;

namespace Vouch.Server.Tests.Persistence;

// Verifying the audit chain: tampering, another key-encryption key, kept heads, records from before keying.
public abstract partial class StoreContractTests
{
    /// <summary>Writes <paramref name="count"/> events by alice and returns the factory of that instance.</summary>
    private async Task<VouchDbContextFactory> WriteEventsAsync(int count)
    {
        var (_, audit, factory) = Instance();
        for (var i = 0; i < count; i++)
            await audit.WriteAsync(CancellationToken.None, new AuditEntry { Type = "test.event", Actor = "alice" });
        return factory;
    }

    [Fact]
    public async Task An_altered_audit_record_is_detected()
    {
        var factory = await WriteEventsAsync(5);

        await using (var db = factory.CreateDbContext())
            await db.Database.ExecuteSqlRawAsync("UPDATE audit_log SET actor = 'mallory' WHERE sequence = 3");

        var verification = await Verifier(factory).VerifyAsync(CancellationToken.None);
        Assert.False(verification.Intact);
        Assert.Equal(3, verification.BrokenAt);
        Assert.Equal(2, verification.Records);
    }

    [Fact]
    public async Task A_deleted_audit_record_is_detected()
    {
        var factory = await WriteEventsAsync(5);

        await using (var db = factory.CreateDbContext())
            await db.Database.ExecuteSqlRawAsync("DELETE FROM audit_log WHERE sequence = 4");

        var verification = await Verifier(factory).VerifyAsync(CancellationToken.None);
        Assert.False(verification.Intact);
        Assert.Equal(4, verification.BrokenAt);
        Assert.Contains("missing", verification.Problem, StringComparison.Ordinal);
    }

    /// <summary>
    /// What someone with write access to the database can do: make record <paramref name="from"/>'s actor mallory
    /// and recompute the chain from there to the end, with <paramref name="key"/> (HMAC, as Vouch does) or, without
    /// it, with plain SHA-256, leaving the kek_id as it was or clearing it so that the records pass for unkeyed ones.
    /// </summary>
    private static async Task RewriteFromAsync(VouchDbContextFactory factory, long from, AuditKey? key, bool clearKekId)
    {
        await using var db = factory.CreateDbContext();
        var records = await db.AuditRecords.AsNoTracking().OrderBy(r => r.Sequence).ToListAsync();
        var previous = from == 1 ? AuditHash.Genesis : records.Single(r => r.Sequence == from - 1).Hash;
        foreach (var r in records.Where(r => r.Sequence >= from))
        {
            var actor = r.Sequence == from ? "mallory" : r.Actor;
            var hash = key is not null
                ? AuditHash.ComputeKeyed(key, r.Sequence, r.Time, r.Type, actor, r.ClientAddress, r.Data, previous)
                : AuditHash.ComputeUnkeyed(r.Sequence, r.Time, r.Type, actor, r.ClientAddress, r.Data, previous);
            var kekId = clearKekId ? null : r.KeyEncryptionKeyId;
            await db.Database.ExecuteSqlAsync(
                $"UPDATE audit_log SET actor = {actor}, previous_hash = {previous}, hash = {hash}, kek_id = {kekId} WHERE sequence = {r.Sequence}");
            previous = hash;
        }
    }

    [Theory]
    [InlineData(3, false, 3L, "altered")]
    [InlineData(3, true, 3L, "unkeyed but follows keyed records")]
    [InlineData(1, true, null, "no record is keyed")]
    public async Task A_record_rewritten_with_the_plain_sha256_chain_recomputed_is_detected(long from, bool clearKekId, long? brokenAt, string problem)
    {
        var factory = await WriteEventsAsync(5);

        await RewriteFromAsync(factory, from, key: null, clearKekId);
        var before = await Verifier(factory).VerifyAsync(CancellationToken.None);
        // Then one ordinary event: an unkeyed head (kek_id cleared) takes no keyed record, which would vouch for the rewrite.
        var append = Instance().Audit.WriteAsync(CancellationToken.None, new AuditEntry { Type = "test.event", Actor = "alice" });
        if (clearKekId) await Assert.ThrowsAsync<UnkeyedAuditHeadException>(() => append);
        else await append;

        var after = await Verifier(factory).VerifyAsync(CancellationToken.None);
        foreach (var verification in new[] { before, after })
        {
            Assert.False(verification.Intact);
            Assert.Equal(brokenAt, verification.BrokenAt);
            Assert.Contains(problem, verification.Problem, StringComparison.Ordinal);
        }
        Assert.Equal(clearKekId ? 5 : 6, await CountAuditRecordsAsync(factory));
    }

    private static async Task<int> CountAuditRecordsAsync(VouchDbContextFactory factory)
    {
        await using var db = factory.CreateDbContext();
        return await db.AuditRecords.CountAsync();
    }

    [Fact]
    public async Task Verifying_with_another_key_encryption_key_fails_and_names_both_keys()
    {
        var factory = await WriteEventsAsync(3);
        using var otherKek = KeyEncryptionKey.Generate();

        var verification = await Verifier(factory, otherKek).VerifyAsync(CancellationToken.None);

        Assert.False(verification.Intact);
        Assert.Equal(1, verification.BrokenAt);
        Assert.Contains(Kek.Id, verification.Problem, StringComparison.Ordinal);
        Assert.Contains(otherKek.Id, verification.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Appending_with_another_key_encryption_key_is_refused_and_writes_nothing()
    {
        var factory = await WriteEventsAsync(2);
        using var otherKek = KeyEncryptionKey.Generate();

        await Assert.ThrowsAsync<KeyEncryptionKeyMismatchException>(() =>
            Instance(otherKek).Audit.WriteAsync(CancellationToken.None, new AuditEntry { Type = "test.event", Actor = "mallory" }));

        var verification = await Verifier(factory).VerifyAsync(CancellationToken.None);
        Assert.True(verification.Intact, verification.Problem);
        Assert.Equal(2, verification.Records);
    }

    [Fact]
    public async Task A_kept_head_accepts_the_untouched_log_grown_since()
    {
        var factory = await WriteEventsAsync(3);
        var kept = await Verifier(factory).VerifyAsync(CancellationToken.None);
        await WriteEventsAsync(2);

        var withSequence = await Verifier(factory).VerifyAsync(CancellationToken.None, new AuditHead(kept.Records, kept.HeadHash));
        var hashAlone = await Verifier(factory).VerifyAsync(CancellationToken.None, new AuditHead(null, kept.HeadHash));

        Assert.True(withSequence.Intact, withSequence.Problem);
        Assert.True(hashAlone.Intact, hashAlone.Problem);
        Assert.Equal(5, withSequence.Records);
    }

    [Fact]
    public async Task A_kept_head_refuses_a_log_rewritten_consistently_with_the_right_key()
    {
        var factory = await WriteEventsAsync(5);
        var kept = await Verifier(factory).VerifyAsync(CancellationToken.None);

        // Someone holding the key-encryption key rewrites record 2 and recomputes everything after it.
        await RewriteFromAsync(factory, 2, new AuditKey(Kek), clearKekId: false);

        var unanchored = await Verifier(factory).VerifyAsync(CancellationToken.None);
        var withSequence = await Verifier(factory).VerifyAsync(CancellationToken.None, new AuditHead(kept.Records, kept.HeadHash));
        var hashAlone = await Verifier(factory).VerifyAsync(CancellationToken.None, new AuditHead(null, kept.HeadHash));
        Assert.True(unanchored.Intact, unanchored.Problem);
        Assert.False(withSequence.Intact);
        Assert.Equal(5, withSequence.BrokenAt);
        Assert.Contains("not the expected head", withSequence.Problem, StringComparison.Ordinal);
        Assert.False(hashAlone.Intact);
        Assert.Contains("no record has the expected head", hashAlone.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_kept_head_refuses_a_log_cut_short_before_it()
    {
        var factory = await WriteEventsAsync(4);
        var kept = await Verifier(factory).VerifyAsync(CancellationToken.None);
        await using (var db = factory.CreateDbContext())
            await db.Database.ExecuteSqlRawAsync("DELETE FROM audit_log WHERE sequence = 4");

        var verification = await Verifier(factory).VerifyAsync(CancellationToken.None, new AuditHead(kept.Records, kept.HeadHash));

        Assert.False(verification.Intact);
        Assert.Contains("ends at record 3, before the expected head record 4", verification.Problem, StringComparison.Ordinal);
    }
}
