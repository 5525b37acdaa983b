using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Vouch.Server.Audit;
using Xunit;

namespace Vouch.Server.Tests.Persistence;

// The audit log's group commit: concurrent writers, failures and cancellation.
public abstract partial class StoreContractTests
{
    [Fact]
    public async Task Concurrent_audit_writes_form_one_unbroken_chain()
    {
        var writers = Enumerable.Range(0, 4).Select(_ => Instance().Audit).ToList();

        await Task.WhenAll(Enumerable.Range(0, 24).Select(i => Task.Run(() => writers[i % writers.Count].WriteAsync(CancellationToken.None,
            new AuditEntry { Type = "test.event", Actor = "test", Data = new Dictionary<string, string> { ["n"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) } }))));

        var verification = await Verifier(Instance().Factory).VerifyAsync(CancellationToken.None);
        Assert.True(verification.Intact, verification.Problem);
        Assert.Equal(24, verification.Records);
    }

    /// <summary>Holds off every audit appender until disposed: SQLite's write lock, or PostgreSQL's append lock.</summary>
    protected abstract Task<IAsyncDisposable> HoldAppendsAsync();

    /// <summary>Makes the database refuse every audit record whose actor is mallory (a trigger).</summary>
    protected abstract Task RefuseMalloryAsync();

    private static AuditEntry Event(string actor, int n = 0) =>
        new() { Type = "test.event", Actor = actor, Data = new Dictionary<string, string> { ["n"] = n.ToString(CultureInfo.InvariantCulture) } };

    /// <summary>Waits until <paramref name="audit"/>'s appender has taken every queued write into its group.</summary>
    private static async Task UntilQueuedAsync(AuditLog audit, int queued)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (audit.QueuedWrites != queued)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{audit.QueuedWrites} writes queued, expected {queued}");
            await Task.Delay(5);
        }
    }

    private async Task<List<AuditRecord>> RecordsAsync()
    {
        await using var db = Instance().Factory.CreateDbContext();
        return await db.AuditRecords.AsNoTracking().OrderBy(r => r.Sequence).ToListAsync();
    }

    [Fact]
    public async Task Writes_queued_while_a_group_commits_are_committed_together_in_the_order_they_were_made()
    {
        var audit = Instance().Audit;
        Task first, rest;
        await using (await HoldAppendsAsync())
        {
            first = audit.WriteAsync(CancellationToken.None, Event("first"));
            await UntilQueuedAsync(audit, 0);
            rest = Task.WhenAll(Enumerable.Range(1, 10).Select(n => audit.WriteAsync(CancellationToken.None, Event("queued", n))).ToList());
            Assert.Equal(10, audit.QueuedWrites);
            Assert.False(first.IsCompleted);
        }
        await Task.WhenAll(first, rest);

        Assert.Equal(2, audit.CommittedGroups);
        var records = await RecordsAsync();
        Assert.Equal(["first", .. Enumerable.Repeat("queued", 10)], records.Select(r => r.Actor));
        Assert.Equal(Enumerable.Range(0, 11).Select(n => n.ToString(CultureInfo.InvariantCulture)), records.Select(r => JsonDocument.Parse(r.Data).RootElement.GetProperty("n").GetString()));
        Assert.Equal(Enumerable.Range(1, 11).Select(n => (long)n), records.Select(r => r.Sequence));
        var verification = await Verifier(Instance().Factory).VerifyAsync(CancellationToken.None);
        Assert.True(verification.Intact, verification.Problem);
    }

    [Fact]
    public async Task A_group_that_fails_fails_exactly_its_callers_and_writes_none_of_it()
    {
        await RefuseMalloryAsync();
        var audit = Instance().Audit;
        Task before, poisoned, bystander;
        await using (await HoldAppendsAsync())
        {
            before = audit.WriteAsync(CancellationToken.None, Event("alice", 1));
            await UntilQueuedAsync(audit, 0);
            poisoned = audit.WriteAsync(CancellationToken.None, Event("mallory", 2));
            bystander = audit.WriteAsync(CancellationToken.None, Event("bob", 3));
        }
        await before;
        // The provider's own error, as the database raised it (the group commit writes without EF Core).
        var refused = await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => poisoned);
        Assert.Contains("refused by the test", refused.Message, StringComparison.Ordinal);
        Assert.Same(refused, await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => bystander));

        await audit.WriteAsync(CancellationToken.None, Event("carol", 4));

        Assert.Equal(2, audit.CommittedGroups);
        var records = await RecordsAsync();
        Assert.Equal(["alice", "carol"], records.Select(r => r.Actor));
        Assert.Equal([1L, 2L], records.Select(r => r.Sequence));
        var verification = await Verifier(Instance().Factory).VerifyAsync(CancellationToken.None);
        Assert.True(verification.Intact, verification.Problem);
    }

    [Fact]
    public async Task A_write_cancelled_while_queued_is_not_written_and_the_rest_of_its_group_is()
    {
        var audit = Instance().Audit;
        using var giveUp = new CancellationTokenSource();
        Task first, cancelled, after;
        await using (await HoldAppendsAsync())
        {
            first = audit.WriteAsync(CancellationToken.None, Event("alice"));
            await UntilQueuedAsync(audit, 0);
            cancelled = audit.WriteAsync(giveUp.Token, Event("bob"));
            after = audit.WriteAsync(CancellationToken.None, Event("carol"));
            await giveUp.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        }
        await Task.WhenAll(first, after);

        Assert.Equal(["alice", "carol"], (await RecordsAsync()).Select(r => r.Actor));
        var verification = await Verifier(Instance().Factory).VerifyAsync(CancellationToken.None);
        Assert.True(verification.Intact, verification.Problem);
    }

    [Fact]
    public async Task A_write_cancelled_once_its_group_committing_still_completes_only_after_the_commit_and_is_written()
    {
        var audit = Instance().Audit;
        using var giveUp = new CancellationTokenSource();
        Task taken;
        await using (await HoldAppendsAsync())
        {
            taken = audit.WriteAsync(giveUp.Token, Event("alice"));
            await UntilQueuedAsync(audit, 0);
            await giveUp.CancelAsync();
            await Task.Delay(100);
            Assert.False(taken.IsCompleted);
            Assert.Empty(await RecordsAsync());
        }
        await taken;

        Assert.Equal(["alice"], (await RecordsAsync()).Select(r => r.Actor));
    }

    [Fact]
    public async Task Hundreds_of_concurrent_writes_on_two_instances_commit_in_a_few_groups_as_one_unbroken_chain()
    {
        AuditLog[] instances = [Instance().Audit, Instance().Audit];
        Task all;
        await using (await HoldAppendsAsync())
        {
            foreach (var audit in instances)
            {
                _ = audit.WriteAsync(CancellationToken.None, Event("first"));
                await UntilQueuedAsync(audit, 0);
            }
            all = Task.WhenAll(Enumerable.Range(0, 400).Select(n => Task.Run(() => instances[n % 2].WriteAsync(CancellationToken.None, Event("writer", n)))));
            foreach (var audit in instances) await UntilQueuedAsync(audit, 200);
        }
        await all;

        Assert.Equal([2L, 2L], instances.Select(a => a.CommittedGroups));
        var records = await RecordsAsync();
        Assert.Equal(402, records.Count);
        Assert.Equal(Enumerable.Range(0, 400).Select(n => n.ToString(CultureInfo.InvariantCulture)).Order(),
            records.Where(r => r.Actor == "writer").Select(r => JsonDocument.Parse(r.Data).RootElement.GetProperty("n").GetString()).Order());
        var verification = await Verifier(Instance().Factory).VerifyAsync(CancellationToken.None);
        Assert.True(verification.Intact, verification.Problem);
        Assert.Equal(402, verification.Records);
    }
}
