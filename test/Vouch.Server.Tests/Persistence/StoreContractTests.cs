using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Vouch.Server;
using Vouch.Server.Audit;
using Vouch.Server.Keys;
using Vouch.Protocol;
using Vouch.Server.Persistence;
using Vouch.Server.Secrets;
using Vouch.Server.Sessions;
using Vouch.Server.Users;
using Vouch.Server.WebAuthn;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Persistence;

/// <summary>
/// The behaviour of the stored state (signing keys, audit log) that must hold on every database provider; run
/// against SQLite and against a real PostgreSQL by the subclasses below.
/// </summary>
public abstract class StoreContractTests : IAsyncLifetime
{
    private static readonly KeyPolicy Policy = new(TimeSpan.FromDays(30));
    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    protected KeyEncryptionKey Kek { get; } = KeyEncryptionKey.Generate();
    protected DatabaseSettings Database { get; private set; } = null!;

    protected abstract Task<DatabaseSettings> CreateDatabaseAsync();

    public async Task InitializeAsync()
    {
        Database = await CreateDatabaseAsync();
        await new DatabaseMigrator(new VouchDbContextFactory(Database)).MigrateAsync(CancellationToken.None);
    }

    public virtual Task DisposeAsync()
    {
        Kek.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>A fresh set of services on the shared database, as a separate server instance would have.</summary>
    protected (KeyStore Store, AuditLog Audit, VouchDbContextFactory Factory) Instance(KeyEncryptionKey? kek = null)
    {
        var factory = new VouchDbContextFactory(Database);
        var audit = new AuditLog(factory, Time, new AuditKey(kek ?? Kek));
        return (new KeyStore(factory, audit, Time, Policy, new SigningKeyFactory(kek ?? Kek)), audit, factory);
    }

    /// <summary>Verifies the audit chain with <paramref name="kek"/> (default: the one every instance writes with).</summary>
    private AuditChainVerifier Verifier(VouchDbContextFactory factory, KeyEncryptionKey? kek = null) => new(factory, new AuditKey(kek ?? Kek));

    private async Task<KeyRingProvider> LoadedRingAsync(KeyEncryptionKey? kek = null)
    {
        var provider = new KeyRingProvider(new SigningKeyReader(new VouchDbContextFactory(Database)), kek ?? Kek, Time, NullLogger<KeyRingProvider>.Instance);
        await provider.ReloadAsync(CancellationToken.None);
        return provider;
    }

    [Fact]
    public async Task First_start_creates_a_signing_key_and_publishes_the_next_one()
    {
        var (store, _, _) = Instance();

        var created = await store.EnsureAsync(AuditActors.System, CancellationToken.None);

        var keys = await store.LoadAsync(CancellationToken.None);
        Assert.Equal(2, created.Count);
        Assert.Equal(2, keys.Count);
        var schedule = new KeySchedule<SigningKeyRecord>(keys);
        var current = schedule.CurrentAt(Time.GetUtcNow())!;
        var next = keys.Single(k => k != current);
        Assert.Equal(current.ActivatesAt + TimeSpan.FromDays(30), next.ActivatesAt);
    }

    [Fact]
    public async Task Ensuring_again_changes_nothing()
    {
        var (store, _, _) = Instance();
        await store.EnsureAsync(AuditActors.System, CancellationToken.None);

        var second = await store.EnsureAsync(AuditActors.System, CancellationToken.None);

        Assert.Empty(second);
        Assert.Equal(2, (await store.LoadAsync(CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Several_instances_starting_at_once_create_exactly_one_current_and_one_next_key()
    {
        var instances = Enumerable.Range(0, 6).Select(_ => Instance().Store).ToList();

        await Task.WhenAll(instances.Select(s => Task.Run(() => s.EnsureAsync(AuditActors.System, CancellationToken.None))));

        var keys = await instances[0].LoadAsync(CancellationToken.None);
        Assert.Equal([1, 2], keys.Select(k => k.Generation).Order());
        var verification = await Verifier(Instance().Factory).VerifyAsync(CancellationToken.None);
        Assert.True(verification.Intact, verification.Problem);
        Assert.Equal(2, verification.Records);
    }

    [Fact]
    public async Task Every_instance_signs_with_the_key_the_rotation_named_at_the_moment_it_named()
    {
        var (store, _, _) = Instance();
        await store.EnsureAsync(AuditActors.System, CancellationToken.None);
        var rotation = await store.RotateAsync(AuditActors.Admin, CancellationToken.None);

        KeyRingProvider[] instances = [await LoadedRingAsync(), await LoadedRingAsync()];

        var handover = rotation.ActivatesAt;
        foreach (var at in new[] { Time.GetUtcNow(), handover.AddMilliseconds(-1), handover, handover.AddHours(1) })
        {
            var expected = at < handover ? rotation.PreviousKid : rotation.Kid;
            Assert.All(instances, instance => Assert.Equal(expected, instance.Ring.CurrentAt(at)!.Kid));
        }
    }

    [Fact]
    public async Task Rotation_hands_signing_to_the_published_next_key_only_once_caches_can_have_it()
    {
        var (store, _, _) = Instance();
        await store.EnsureAsync(AuditActors.System, CancellationToken.None);
        var before = new KeySchedule<SigningKeyRecord>(await store.LoadAsync(CancellationToken.None));
        var oldKid = before.CurrentAt(Time.GetUtcNow())!.Kid;
        var nextKid = before.Keys.Single(k => k.Kid != oldKid).Kid;
        Time.Advance(TimeSpan.FromMinutes(1));

        var rotation = await store.RotateAsync(AuditActors.Admin, CancellationToken.None);

        Assert.Equal(oldKid, rotation.PreviousKid);
        Assert.Equal(nextKid, rotation.Kid);
        // The next key was created a minute ago: it may sign only once it has been published for the publish lead.
        var created = before.Keys.Single(k => k.Kid == nextKid).CreatedAt;
        Assert.Equal(created + KeyPolicy.PublishLead, rotation.ActivatesAt);
        var after = new KeySchedule<SigningKeyRecord>(await store.LoadAsync(CancellationToken.None));
        Assert.Equal(oldKid, after.CurrentAt(rotation.ActivatesAt.AddSeconds(-1))!.Kid);
        Assert.Equal(nextKid, after.CurrentAt(rotation.ActivatesAt)!.Kid);
        Assert.Equal(rotation.ActivatesAt + TimeSpan.FromDays(30), rotation.NextActivatesAt);
        Assert.Equal(3, after.Keys.Count);
    }

    [Fact]
    public async Task Rotation_of_a_long_published_next_key_takes_effect_after_two_refresh_intervals()
    {
        var (store, _, _) = Instance();
        await store.EnsureAsync(AuditActors.System, CancellationToken.None);
        Time.Advance(TimeSpan.FromDays(3));

        var rotation = await store.RotateAsync(AuditActors.Admin, CancellationToken.None);

        Assert.Equal(StoredTime.Now(Time) + KeyPolicy.RefreshInterval + KeyPolicy.RefreshInterval, rotation.ActivatesAt);
    }

    [Fact]
    public async Task An_instance_whose_refresh_runs_a_whole_interval_late_after_a_rotation_still_signs_and_orders_its_jwks_as_one_that_reread_at_once()
    {
        var (store, _, _) = Instance();
        await store.EnsureAsync(AuditActors.System, CancellationToken.None);
        Time.Advance(TimeSpan.FromDays(3));
        // Its 30-second pass ran just before the rotation; the next starts one interval later and takes another.
        var late = await LoadedRingAsync();
        Time.Advance(TimeSpan.FromSeconds(1));
        var rotation = await store.RotateAsync(AuditActors.Admin, CancellationToken.None);
        var rotatedAt = Time.GetUtcNow();
        var prompt = await LoadedRingAsync();
        // Its pass began 1 s before the rotation + one interval, and took a whole interval (a slow or retried read).
        var lateReloadDone = rotatedAt - TimeSpan.FromSeconds(1) + KeyPolicy.RefreshInterval + KeyPolicy.RefreshInterval;
        var stale = late.Ring;
        await late.ReloadAsync(CancellationToken.None);
        var reread = late.Ring;

        var disagreements = new List<string>();
        for (var at = rotatedAt; at < rotation.ActivatesAt + KeyPolicy.RefreshInterval; at += TimeSpan.FromMilliseconds(250))
        {
            var view = at < lateReloadDone ? stale : reread;
            if (view.CurrentAt(at)?.Kid != prompt.Ring.CurrentAt(at)?.Kid || view.PublishedAt(at)[0].Kid != prompt.Ring.PublishedAt(at)[0].Kid)
                disagreements.Add($"{(at - rotatedAt).TotalSeconds} s after the rotation: signs with {view.CurrentAt(at)?.Kid}, another instance with {prompt.Ring.CurrentAt(at)?.Kid}");
        }

        Assert.Empty(disagreements);
        Assert.Equal(rotation.Kid, prompt.Ring.CurrentAt(rotation.ActivatesAt)!.Kid);
        Assert.Equal(rotation.PreviousKid, stale.CurrentAt(lateReloadDone)!.Kid);
    }

    [Fact]
    public async Task A_retired_key_is_deleted_once_its_tokens_have_expired_and_the_removal_is_audited()
    {
        var (store, _, factory) = Instance();
        await store.EnsureAsync(AuditActors.System, CancellationToken.None);
        var oldKid = new KeySchedule<SigningKeyRecord>(await store.LoadAsync(CancellationToken.None)).CurrentAt(Time.GetUtcNow())!.Kid;
        Time.Advance(TimeSpan.FromDays(1));
        var rotation = await store.RotateAsync(AuditActors.Admin, CancellationToken.None);

        Time.Advance(rotation.ActivatesAt - Time.GetUtcNow() + KeyPolicy.RetiredRetention - TimeSpan.FromSeconds(1));
        await store.EnsureAsync(AuditActors.System, CancellationToken.None);
        Assert.Contains(oldKid, (await store.LoadAsync(CancellationToken.None)).Select(k => k.Kid));

        Time.Advance(TimeSpan.FromSeconds(1));
        var changes = await store.EnsureAsync(AuditActors.System, CancellationToken.None);

        Assert.DoesNotContain(oldKid, (await store.LoadAsync(CancellationToken.None)).Select(k => k.Kid));
        Assert.Contains(changes, c => c.Type == AuditEventTypes.KeyRemoved && c.Data["kid"] == oldKid);
        await using var db = factory.CreateDbContext();
        Assert.Equal(1, await db.AuditRecords.CountAsync(r => r.Type == AuditEventTypes.KeyRemoved));
    }

    [Fact]
    public async Task A_restarted_instance_publishes_the_keys_that_were_audited_as_created()
    {
        var (store, _, _) = Instance();
        var created = await store.EnsureAsync(AuditActors.System, CancellationToken.None);

        var restarted = await LoadedRingAsync();

        var first = created.Single(e => e.Data["reason"] == "first key");
        var next = created.Single(e => e.Data["reason"] == "next key");
        Assert.Equal([first.Data["kid"], next.Data["kid"]], restarted.Ring.PublishedAt(Time.GetUtcNow()).Select(k => k.Kid));
        Assert.Equal(
            [DateTimeOffset.Parse(first.Data["activates_at"], CultureInfo.InvariantCulture), DateTimeOffset.Parse(next.Data["activates_at"], CultureInfo.InvariantCulture)],
            restarted.Ring.Keys.Select(k => k.ActivatesAt));
        Assert.All(restarted.Ring.Keys, k => Assert.NotNull(k.Credentials));
    }

    [Fact]
    public async Task A_store_with_another_key_encryption_key_refuses_to_add_or_rotate_keys_and_changes_nothing()
    {
        var (store, _, factory) = Instance();
        await store.EnsureAsync(AuditActors.System, CancellationToken.None);
        var before = (await store.LoadAsync(CancellationToken.None)).Select(k => k.Kid).Order().ToList();
        using var otherKek = KeyEncryptionKey.Generate();
        var (other, _, _) = Instance(otherKek);
        Time.Advance(TimeSpan.FromDays(40));

        var ensuring = await Assert.ThrowsAsync<KeyEncryptionKeyMismatchException>(() => other.EnsureAsync(AuditActors.System, CancellationToken.None));
        var rotating = await Assert.ThrowsAsync<KeyEncryptionKeyMismatchException>(() => other.RotateAsync("admin:alice", CancellationToken.None));

        foreach (var error in new[] { ensuring, rotating })
        {
            Assert.Contains(Kek.Id, error.Message, StringComparison.Ordinal);
            Assert.Contains(otherKek.Id, error.Message, StringComparison.Ordinal);
            Assert.Contains("VOUCH_KEY_ENCRYPTION_KEY", error.Message, StringComparison.Ordinal);
        }
        Assert.Equal(before, (await store.LoadAsync(CancellationToken.None)).Select(k => k.Kid).Order());
        await using var db = factory.CreateDbContext();
        Assert.Equal(2, await db.AuditRecords.CountAsync());
    }

    [Fact]
    public async Task An_instance_with_another_key_encryption_key_publishes_nothing_and_signs_nothing()
    {
        var (store, _, _) = Instance();
        await store.EnsureAsync(AuditActors.System, CancellationToken.None);
        using var otherKek = KeyEncryptionKey.Generate();

        var ring = await LoadedRingAsync(otherKek);

        Assert.Null(ring.SignerAt(Time.GetUtcNow()));
        Assert.DoesNotContain(ring.Ring.PublishedAt(Time.GetUtcNow()), k => k.Usable);
        Assert.Contains(Kek.Id, ring.SigningProblemAt(Time.GetUtcNow()), StringComparison.Ordinal);
        Assert.Contains(otherKek.Id, ring.SigningProblemAt(Time.GetUtcNow()), StringComparison.Ordinal);
    }

    /// <summary>Replaces the next key with one of the same generation and activation sealed with <paramref name="kek"/>.</summary>
    private async Task<SigningKeyRecord> ReplaceNextKeyAsync(KeyEncryptionKey kek)
    {
        await using var db = Instance().Factory.CreateDbContext();
        var next = await db.SigningKeys.SingleAsync(k => k.Generation == 2);
        db.SigningKeys.Remove(next);
        var stray = new SigningKeyFactory(kek).Create(next.Generation, next.CreatedAt, next.ActivatesAt);
        db.SigningKeys.Add(stray);
        await db.SaveChangesAsync();
        return stray;
    }

    [Fact]
    public async Task A_next_key_sealed_with_another_key_encryption_key_is_skipped_then_replaced_by_the_rotator()
    {
        var (store, _, _) = Instance();
        await store.EnsureAsync(AuditActors.System, CancellationToken.None);
        using var otherKek = KeyEncryptionKey.Generate();
        var stray = await ReplaceNextKeyAsync(otherKek);
        var now = Time.GetUtcNow();

        var ring = await LoadedRingAsync();

        var current = ring.SignerAt(now);
        Assert.NotNull(current);
        Assert.Equal([current.Kid], ring.Ring.PublishedAt(now).Where(k => k.Usable).Select(k => k.Kid));
        Assert.Contains(otherKek.Id, ring.Ring.Keys.Single(k => k.Kid == stray.Kid).Problem, StringComparison.Ordinal);

        var changes = await store.EnsureAsync(AuditActors.System, CancellationToken.None);
        await ring.ReloadAsync(CancellationToken.None);

        var removed = Assert.Single(changes, c => c.Type == AuditEventTypes.KeyRemoved);
        Assert.Equal(stray.Kid, removed.Data["kid"]);
        Assert.Contains(otherKek.Id, removed.Data["reason"], StringComparison.Ordinal);
        Assert.Single(changes, c => c.Type == AuditEventTypes.KeyCreated);
        Assert.Equal(2, ring.Ring.PublishedAt(now).Count(k => k.Usable));
        Assert.DoesNotContain(stray.Kid, ring.Ring.Keys.Select(k => k.Kid));
    }

    [Fact]
    public async Task When_a_key_that_cannot_be_opened_comes_due_the_instance_stops_signing_instead_of_signing_with_the_old_key()
    {
        var (store, _, _) = Instance();
        await store.EnsureAsync(AuditActors.System, CancellationToken.None);
        var next = (await store.LoadAsync(CancellationToken.None)).Single(k => k.Generation == 2);
        await using (var db = Instance().Factory.CreateDbContext())
        {
            var garbage = RandomNumberGenerator.GetBytes(next.SealedPrivateKey.Length);
            await db.Database.ExecuteSqlAsync($"UPDATE signing_keys SET sealed_private_key = {garbage} WHERE kid = {next.Kid}");
        }
        var ring = await LoadedRingAsync();
        var oldKid = ring.SignerAt(Time.GetUtcNow())!.Kid;

        // No reload between: the ring in memory must not fall back to the old key when the broken one comes due.
        Time.SetUtcNow(next.ActivatesAt);

        Assert.NotEqual(oldKid, next.Kid);
        Assert.Null(ring.SignerAt(Time.GetUtcNow()));
        Assert.Contains(next.Kid, ring.SigningProblemAt(Time.GetUtcNow()), StringComparison.Ordinal);
        await ring.ReloadAsync(CancellationToken.None);
        Assert.Null(ring.SignerAt(Time.GetUtcNow()));
        Assert.DoesNotContain(next.Kid, ring.Ring.PublishedAt(Time.GetUtcNow()).Where(k => k.Usable).Select(k => k.Kid));
    }

    [Fact]
    public async Task The_database_holds_no_private_key_in_the_clear()
    {
        var (store, _, _) = Instance();
        await store.EnsureAsync(AuditActors.System, CancellationToken.None);
        var secrets = new List<byte[]>();
        foreach (var key in await store.LoadAsync(CancellationToken.None))
        {
            var pkcs8 = Kek.Open(key.SealedPrivateKey, key.Kid);
            using var ecdsa = ECDsa.Create();
            ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
            secrets.Add(ecdsa.ExportParameters(true).D!);
            secrets.Add(pkcs8);
        }

        var stored = await ReadEverythingStoredAsync();

        foreach (var secret in secrets)
        {
            Assert.Equal(-1, stored.AsSpan().IndexOf(secret.AsSpan(0, 16)));
            var hex = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(secret.AsSpan(0, 16)));
            Assert.Equal(-1, stored.AsSpan().IndexOf(hex));
            var base64 = Encoding.ASCII.GetBytes(Convert.ToBase64String(secret)[..20]);
            Assert.Equal(-1, stored.AsSpan().IndexOf(base64));
        }
    }

    /// <summary>Every byte the database keeps for this test (files, or a dump of the tables).</summary>
    protected abstract Task<byte[]> ReadEverythingStoredAsync();

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

        var verification = await Verifier(factory).VerifyAsync(CancellationToken.None);
        Assert.False(verification.Intact);
        Assert.Equal(brokenAt, verification.BrokenAt);
        Assert.Contains(problem, verification.Problem, StringComparison.Ordinal);
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

    [Fact]
    public async Task Records_from_before_keying_still_verify_and_are_sealed_by_the_first_keyed_record()
    {
        var factory = await WriteUnkeyedEventsAsync(3);
        var unsealed = await Verifier(factory).VerifyAsync(CancellationToken.None);

        var sealedNow = await Instance().Audit.SealUnkeyedAsync(CancellationToken.None);
        var sealedAgain = await Instance().Audit.SealUnkeyedAsync(CancellationToken.None);

        Assert.False(unsealed.Intact);
        Assert.Contains("no record is keyed", unsealed.Problem, StringComparison.Ordinal);
        Assert.True(sealedNow);
        Assert.False(sealedAgain);
        var verification = await Verifier(factory).VerifyAsync(CancellationToken.None);
        Assert.True(verification.Intact, verification.Problem);
        Assert.Equal(4, verification.Records);
        Assert.Equal(4, verification.KeyedFrom);
        await using (var db = factory.CreateDbContext())
            Assert.Equal(AuditEventTypes.AuditKeyed, (await db.AuditRecords.SingleAsync(r => r.Sequence == 4)).Type);

        // Once sealed, rewriting an unkeyed record (even recomputing the unkeyed part) breaks the keyed link.
        await RewriteUnkeyedRecordAsync(factory, 2, unkeyedCount: 3);
        var rewritten = await Verifier(factory).VerifyAsync(CancellationToken.None);
        Assert.Equal(4, rewritten.BrokenAt);
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

    [Fact]
    public async Task Key_changes_are_audited_with_their_actor()
    {
        var (store, _, factory) = Instance();
        await store.EnsureAsync(AuditActors.System, CancellationToken.None);
        await store.RotateAsync("admin:alice", CancellationToken.None);

        await using var db = factory.CreateDbContext();
        var records = await db.AuditRecords.AsNoTracking().OrderBy(r => r.Sequence).ToListAsync();
        Assert.Equal([AuditEventTypes.KeyCreated, AuditEventTypes.KeyCreated, AuditEventTypes.KeyCreated, AuditEventTypes.KeyRotated], records.Select(r => r.Type));
        Assert.Equal(["system", "system", "admin:alice", "admin:alice"], records.Select(r => r.Actor));
    }

    /// <summary>The people services of one instance, and Alice enrolled with two keys (ids 0x01.. and 0x02..).</summary>
    private async Task<(UserService Users, CredentialService Credentials, SessionService Sessions, UserRecord Alice, byte[][] Keys)> PeopleAsync()
    {
        var (_, audit, factory) = Instance();
        var sessions = new SessionService(factory, audit, Time);
        var alice = new UserRecord { Id = Guid.NewGuid(), Email = "alice@example.com", Domain = "example.com", CreatedAt = StoredTime.Now(Time) };
        byte[][] keys = [[1, .. RandomNumberGenerator.GetBytes(31)], [2, .. RandomNumberGenerator.GetBytes(31)]];
        await using (var db = factory.CreateDbContext())
        {
            db.Users.Add(alice);
            foreach (var key in keys)
            {
                db.Credentials.Add(new CredentialRecord
                {
                    Id = key, UserId = alice.Id, PublicKey = [0], SignCount = 0, AaGuid = Guid.Empty, AttestationFormat = "none", CreatedAt = StoredTime.Now(Time),
                });
            }
            await db.SaveChangesAsync();
        }
        return (new UserService(factory, audit, sessions, Time), new CredentialService(factory, audit, sessions, Time), sessions, alice, keys);
    }

    private static async Task<CreatedSession> Started(Task<Outcome<CreatedSession>> creating)
    {
        var created = await creating;
        Assert.True(created.Succeeded, created.Problem?.Description);
        return created.Value;
    }

    [Fact]
    public async Task No_session_starts_for_a_user_disabled_before_it_is_stored()
    {
        var (users, _, sessions, alice, keys) = await PeopleAsync();
        // The login read the user before the administrator acted (alice is the record loaded then).
        await users.DisableAsync(EmailAddress.TryParse(alice.Email)!, "admin:alice", CancellationToken.None);

        var created = await sessions.CreateAsync(alice, keys[0], null, CancellationToken.None);

        Assert.Equal(ErrorCodes.UserDisabled, created.Problem?.Code);
        await using var db = Instance().Factory.CreateDbContext();
        Assert.Empty(await db.Sessions.ToListAsync());
    }

    [Fact]
    public async Task Disabling_a_user_revokes_their_live_sessions_with_it_and_refuses_them_as_disabled()
    {
        var (users, _, sessions, alice, keys) = await PeopleAsync();
        var first = await Started(sessions.CreateAsync(alice, keys[0], null, CancellationToken.None));
        var second = await Started(sessions.CreateAsync(alice, keys[1], null, CancellationToken.None));

        var disabled = await users.DisableAsync(EmailAddress.TryParse(alice.Email)!, "admin:alice", CancellationToken.None);

        Assert.Equal(2, disabled.Value!.SessionsRevoked);
        Assert.Equal(ErrorCodes.UserDisabled, (await sessions.FindAsync(first.Token, CancellationToken.None)).Problem!.Code);
        var shown = await users.ShowAsync(EmailAddress.TryParse(alice.Email)!, CancellationToken.None);
        Assert.Empty(shown.Value!.Sessions);
        Assert.Equal("admin:alice", shown.Value.User.DisabledBy);
        await users.EnableAsync(EmailAddress.TryParse(alice.Email)!, "admin:alice", CancellationToken.None);
        Assert.Equal(ErrorCodes.SessionRevoked, (await sessions.FindAsync(second.Token, CancellationToken.None)).Problem!.Code);
        var verification = await Verifier(Instance().Factory).VerifyAsync(CancellationToken.None);
        Assert.True(verification.Intact, verification.Problem);
        await using var db = Instance().Factory.CreateDbContext();
        Assert.Equal(
            [AuditEventTypes.LoginSucceeded, AuditEventTypes.LoginSucceeded, AuditEventTypes.UserDisabled, AuditEventTypes.SessionRevoked, AuditEventTypes.SessionRevoked, AuditEventTypes.UserEnabled],
            await db.AuditRecords.OrderBy(r => r.Sequence).Select(r => r.Type).ToListAsync());
    }

    [Fact]
    public async Task Revoking_a_key_ends_only_the_sessions_it_opened()
    {
        var (_, credentials, sessions, alice, keys) = await PeopleAsync();
        var lost = await Started(sessions.CreateAsync(alice, keys[0], null, CancellationToken.None));
        var kept = await Started(sessions.CreateAsync(alice, keys[1], null, CancellationToken.None));

        var revoked = await credentials.RevokeAsync(CredentialService.FormatId(keys[0]), "admin:alice", CancellationToken.None);

        Assert.Equal(1, revoked.Value!.SessionsRevoked);
        Assert.Equal(ErrorCodes.SessionRevoked, (await sessions.FindAsync(lost.Token, CancellationToken.None)).Problem!.Code);
        Assert.True((await sessions.FindAsync(kept.Token, CancellationToken.None)).Succeeded);
        var listed = (await credentials.ListAsync(null, CancellationToken.None)).Value!;
        Assert.Equal(CredentialService.FormatId(keys[0]), listed.Single(k => k.RevokedAt is not null).Id);
        Assert.False((await credentials.RevokeAsync(CredentialService.FormatId(keys[0]), "admin:alice", CancellationToken.None)).Value!.Changed);
    }

    [Fact]
    public async Task A_session_opened_with_a_key_revoked_afterwards_is_refused_as_revoked()
    {
        var (_, credentials, sessions, alice, keys) = await PeopleAsync();
        var (_, _, factory) = Instance();
        await credentials.RevokeAsync(CredentialService.FormatId(keys[0]), "admin:alice", CancellationToken.None);

        // As if a login with the key had raced its revocation.
        var raced = await Started(sessions.CreateAsync(alice, keys[0], null, CancellationToken.None));

        Assert.Equal(ErrorCodes.SessionRevoked, (await sessions.FindAsync(raced.Token, CancellationToken.None)).Problem!.Code);
        await using var db = factory.CreateDbContext();
        Assert.Null((await db.Sessions.SingleAsync(s => s.Id == raced.Id)).RevokedAt);
    }

    [Fact]
    public async Task A_bearer_finds_its_live_session_and_user_exactly_as_stored()
    {
        var (_, _, sessions, alice, keys) = await PeopleAsync();
        var started = await Started(sessions.CreateAsync(alice, keys[0], "203.0.113.7", CancellationToken.None));
        Time.Advance(TimeSpan.FromMinutes(5));

        var found = await sessions.FindAsync(started.Token, CancellationToken.None);

        Assert.True(found.Succeeded, found.Problem?.Description);
        await using var db = Instance().Factory.CreateDbContext();
        var stored = await db.Sessions.AsNoTracking().SingleAsync(s => s.Id == started.Id);
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == alice.Id);
        Assert.Equivalent(stored, found.Value.Session, strict: true);
        Assert.Equivalent(user, found.Value.User, strict: true);
        Assert.Equal(started.ExpiresAt, found.Value.Session.ExpiresAt);
        Assert.False(found.Value.HardwareKey);
    }

    [Fact]
    public async Task A_bearer_session_opened_with_a_hardware_attested_key_is_found_as_hardware()
    {
        var (_, _, sessions, alice, _) = await PeopleAsync();
        byte[] hardware = [3, .. RandomNumberGenerator.GetBytes(31)];
        await using (var db = Instance().Factory.CreateDbContext())
        {
            db.Credentials.Add(new CredentialRecord
            {
                Id = hardware, UserId = alice.Id, PublicKey = [0], SignCount = 0, AaGuid = Guid.Empty, AttestationFormat = "packed",
                CreatedAt = StoredTime.Now(Time), HardwareAttested = true,
            });
            await db.SaveChangesAsync();
        }
        var started = await Started(sessions.CreateAsync(alice, hardware, null, CancellationToken.None));

        var found = await sessions.FindAsync(started.Token, CancellationToken.None);

        Assert.True(found.Value!.HardwareKey);
    }

    [Fact]
    public async Task A_bearer_session_is_refused_as_expired_from_the_moment_it_ends()
    {
        var (_, _, sessions, alice, keys) = await PeopleAsync();
        var started = await Started(sessions.CreateAsync(alice, keys[0], null, CancellationToken.None));
        Time.Advance(SessionService.Lifetime - TimeSpan.FromMilliseconds(1));
        Assert.True((await sessions.FindAsync(started.Token, CancellationToken.None)).Succeeded);

        Time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(ErrorCodes.SessionExpired, (await sessions.FindAsync(started.Token, CancellationToken.None)).Problem!.Code);
    }

    [Fact]
    public async Task A_revoked_bearer_session_is_refused_as_revoked_and_its_siblings_still_work()
    {
        var (_, _, sessions, alice, keys) = await PeopleAsync();
        var revoked = await Started(sessions.CreateAsync(alice, keys[0], null, CancellationToken.None));
        var kept = await Started(sessions.CreateAsync(alice, keys[0], null, CancellationToken.None));

        Assert.Equal(1, await sessions.RevokeAsync(revoked.Id, null, "user:alice@example.com", CancellationToken.None));

        Assert.Equal(ErrorCodes.SessionRevoked, (await sessions.FindAsync(revoked.Token, CancellationToken.None)).Problem!.Code);
        Assert.True((await sessions.FindAsync(kept.Token, CancellationToken.None)).Succeeded);
    }

    [Fact]
    public async Task A_browser_session_is_unknown_as_a_bearer_and_a_bearer_session_unknown_as_a_browser_one()
    {
        var (_, _, sessions, alice, keys) = await PeopleAsync();
        var browser = await Started(sessions.CreateAsync(alice, keys[0], SessionKinds.Browser, null, CancellationToken.None));
        var bearer = await Started(sessions.CreateAsync(alice, keys[0], null, CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidSession, (await sessions.FindAsync(browser.Token, CancellationToken.None)).Problem!.Code);
        Assert.Equal(ErrorCodes.InvalidSession, (await sessions.FindAsync(bearer.Token, SessionKinds.Browser, CancellationToken.None)).Problem!.Code);
        Assert.Equal(SessionKinds.Browser, (await sessions.FindAsync(browser.Token, SessionKinds.Browser, CancellationToken.None)).Value!.Session.Kind);
    }

    [Theory]
    [InlineData("vs_")]
    [InlineData("not-a-session")]
    [InlineData(null)]
    public async Task An_unknown_or_malformed_bearer_is_refused_as_an_invalid_session(string? prefix)
    {
        var (_, _, sessions, alice, keys) = await PeopleAsync();
        await Started(sessions.CreateAsync(alice, keys[0], null, CancellationToken.None));
        // A well-formed token that was never issued, or junk.
        var token = prefix is null ? null : prefix == "vs_" ? OpaqueSecret.Generate(SessionService.TokenPrefix) : prefix;

        var found = await sessions.FindAsync(token, CancellationToken.None);

        Assert.Equal(ErrorCodes.InvalidSession, found.Problem!.Code);
    }

    [Fact]
    public async Task A_disabled_users_bearer_session_is_refused_as_disabled_even_if_the_session_itself_was_never_revoked()
    {
        var (_, _, sessions, alice, keys) = await PeopleAsync();
        var started = await Started(sessions.CreateAsync(alice, keys[0], null, CancellationToken.None));
        await using (var db = Instance().Factory.CreateDbContext())
        {
            // As a user disabled by hand in the database, without the revocations `users disable` makes.
            await db.Users.Where(u => u.Id == alice.Id).ExecuteUpdateAsync(u => u.SetProperty(x => x.DisabledAt, StoredTime.Now(Time)));
        }

        Assert.Equal(ErrorCodes.UserDisabled, (await sessions.FindAsync(started.Token, CancellationToken.None)).Problem!.Code);
    }

    [Fact]
    public async Task A_login_whose_key_was_revoked_after_its_check_opens_no_session_and_moves_no_counter()
    {
        var (_, credentials, sessions, alice, keys) = await PeopleAsync();
        var factory = Instance().Factory;
        CredentialRecord checkedKey;
        await using (var db = factory.CreateDbContext())
            checkedKey = await db.Credentials.AsNoTracking().SingleAsync(c => c.Id == keys[0]);
        // The administrator revokes the key between the login's assertion check and its session.
        await credentials.RevokeAsync(CredentialService.FormatId(keys[0]), "admin:alice", CancellationToken.None);

        var created = await new LoginTransaction(factory, sessions, Time).CommitAsync(alice, checkedKey, 7, SessionKinds.Cli, null, CancellationToken.None);

        Assert.Equal(ErrorCodes.WebAuthnFailed, created.Problem?.Code);
        await using var after = factory.CreateDbContext();
        Assert.Empty(await after.Sessions.ToListAsync());
        Assert.Equal(0, (await after.Credentials.SingleAsync(c => c.Id == keys[0])).SignCount);
        Assert.DoesNotContain(AuditEventTypes.LoginSucceeded, await after.AuditRecords.Select(r => r.Type).ToListAsync());
    }

    [Fact]
    public async Task Of_two_logins_that_checked_the_same_state_of_a_key_only_the_first_opens_a_session()
    {
        var (_, _, sessions, alice, keys) = await PeopleAsync();
        var factory = Instance().Factory;
        CredentialRecord checkedKey;
        await using (var db = factory.CreateDbContext())
            checkedKey = await db.Credentials.AsNoTracking().SingleAsync(c => c.Id == keys[0]);

        var login = new LoginTransaction(factory, sessions, Time);
        var first = await login.CommitAsync(alice, checkedKey, 1, SessionKinds.Cli, null, CancellationToken.None);
        var second = await login.CommitAsync(alice, checkedKey, 2, SessionKinds.Cli, null, CancellationToken.None);

        Assert.True(first.Succeeded, first.Problem?.Description);
        Assert.Equal(ErrorCodes.WebAuthnFailed, second.Problem?.Code);
        await using var after = factory.CreateDbContext();
        Assert.Equal([first.Value!.Id], await after.Sessions.Select(s => s.Id).ToListAsync());
        var key = await after.Credentials.SingleAsync(c => c.Id == keys[0]);
        Assert.Equal(1, key.SignCount);
        Assert.NotNull(key.LastUsedAt);
        Assert.Single(await after.AuditRecords.Where(r => r.Type == AuditEventTypes.LoginSucceeded).ToListAsync());
    }

    [Fact]
    public async Task A_revoked_invite_cannot_be_found_usable_nor_claimed()
    {
        var (_, audit, factory) = Instance();
        var invites = new InviteService(factory, audit, Time);
        var created = await invites.CreateAsync(EmailAddress.TryParse("bob@example.com")!, "example.com", TimeSpan.FromHours(1), "admin:alice", CancellationToken.None);

        await invites.RevokeAsync(created.Invite.Id, "admin:alice", CancellationToken.None);

        Assert.Equal(ErrorCodes.InvalidInvite, (await invites.FindUsableAsync(created.Code, CancellationToken.None)).Problem!.Code);
        await using var db = factory.CreateDbContext();
        Assert.False(await invites.StageClaimAsync(db, created.Invite.Id, CancellationToken.None));
        Assert.Equal(InviteStates.Revoked, (await invites.ListAsync(CancellationToken.None)).Single().State);
    }

    [Fact]
    public async Task Migrating_a_database_from_before_administrators_makes_its_earliest_enrolled_user_the_administrator()
    {
        // A second database, migrated only up to the migration before administrators, with three users.
        var old = new VouchDbContextFactory(await CreateDatabaseAsync());
        await using (var db = old.CreateDbContext())
        {
            await db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>().MigrateAsync(
                db.Database.GetMigrations().Last(m => m.EndsWith("_HardwareAttested", StringComparison.Ordinal)));
            var start = StoredTime.Now(Time);
            foreach (var (email, age) in new[] { ("carol@example.com", 1), ("bob@example.com", 3), ("dave@example.com", 2) })
            {
                var created = start - TimeSpan.FromDays(age);
                // As each provider stores a time (SQLite: UTC ticks).
                object stored = db.Database.IsSqlite() ? created.UtcTicks : created;
                await db.Database.ExecuteSqlAsync(
                    $"INSERT INTO users (id, email, domain, created_at) VALUES ({Guid.NewGuid()}, {email}, {"example.com"}, {stored})");
            }
        }

        await new DatabaseMigrator(old).MigrateAsync(CancellationToken.None);

        await using var migrated = old.CreateDbContext();
        Assert.Equal(["bob@example.com"], await migrated.Users.Where(u => u.IsAdmin).Select(u => u.Email).ToListAsync());
        Assert.Equal(3, await migrated.Users.CountAsync());
    }

    [Fact]
    public async Task Two_administrators_demoting_each_other_at_once_leave_one_administrator()
    {
        var (_, audit, factory) = Instance();
        var sessions = new SessionService(factory, audit, Time);
        await using (var db = factory.CreateDbContext())
        {
            foreach (var email in new[] { "alice@example.com", "bob@example.com" })
                db.Users.Add(new UserRecord { Id = Guid.NewGuid(), Email = email, Domain = "example.com", CreatedAt = StoredTime.Now(Time), IsAdmin = true });
            await db.SaveChangesAsync();
        }
        var users = new UserService(factory, audit, sessions, Time);
        var others = new UserService(Instance().Factory, Instance().Audit, sessions, Time);

        var outcomes = await Task.WhenAll(
            users.DemoteAsync(EmailAddress.TryParse("alice@example.com")!, "admin:bob@example.com", CancellationToken.None),
            others.DemoteAsync(EmailAddress.TryParse("bob@example.com")!, "admin:alice@example.com", CancellationToken.None));

        Assert.Single(outcomes, o => o.Succeeded);
        Assert.Single(outcomes, o => o.Problem?.Code == ErrorCodes.LastAdministrator);
        await using var check = factory.CreateDbContext();
        Assert.Equal(1, await check.Users.CountAsync(u => u.IsAdmin));
    }
}

public sealed class SqliteStoreTests : StoreContractTests
{
    private readonly TemporaryDirectory _directory = new();

    protected override Task<DatabaseSettings> CreateDatabaseAsync() =>
        Task.FromResult(DatabaseSettings.Parse(_directory.File(Database is null ? "vouch.db" : $"another-{Guid.NewGuid():N}.db")));

    protected override Task<byte[]> ReadEverythingStoredAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var bytes = new List<byte>();
        foreach (var file in Directory.GetFiles(_directory.Path)) bytes.AddRange(File.ReadAllBytes(file));
        return Task.FromResult(bytes.ToArray());
    }

    protected override async Task<IAsyncDisposable> HoldAppendsAsync()
    {
        var connection = new Microsoft.Data.Sqlite.SqliteConnection(Database.ConnectionString);
        await connection.OpenAsync();
        await using (var begin = new Microsoft.Data.Sqlite.SqliteCommand("BEGIN IMMEDIATE", connection)) await begin.ExecuteNonQueryAsync();
        return new Held(connection);
    }

    protected override async Task RefuseMalloryAsync()
    {
        await using var db = Instance().Factory.CreateDbContext();
        await db.Database.ExecuteSqlRawAsync(
            "CREATE TRIGGER refuse_mallory BEFORE INSERT ON audit_log WHEN NEW.actor = 'mallory' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
    }

    private sealed class Held(Microsoft.Data.Sqlite.SqliteConnection connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await using (var rollback = new Microsoft.Data.Sqlite.SqliteCommand("ROLLBACK", connection)) await rollback.ExecuteNonQueryAsync();
            await connection.DisposeAsync();
        }
    }

    [Fact]
    public void The_sqlite_file_is_readable_by_its_owner_only()
    {
        var mode = File.GetUnixFileMode(Database.SqlitePath!);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }

    public override Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Dispose();
        return base.DisposeAsync();
    }
}

[Collection(PostgresTests.Name)]
public sealed class PostgresStoreTests(PostgresFixture postgres) : StoreContractTests
{
    protected override async Task<DatabaseSettings> CreateDatabaseAsync() =>
        DatabaseSettings.Parse(await postgres.Server.CreateDatabaseAsync());

    protected override async Task<IAsyncDisposable> HoldAppendsAsync()
    {
        var connection = new Npgsql.NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        await using (var begin = new Npgsql.NpgsqlCommand($"BEGIN; SELECT pg_advisory_xact_lock({AuditLog.AppendLockKey})", connection)) await begin.ExecuteNonQueryAsync();
        return new Held(connection);
    }

    protected override async Task RefuseMalloryAsync()
    {
        await using var db = Instance().Factory.CreateDbContext();
        await db.Database.ExecuteSqlRawAsync("""
            CREATE FUNCTION refuse_mallory() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF NEW.actor = 'mallory' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$;
            CREATE TRIGGER refuse_mallory BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_mallory();
            """);
    }

    private sealed class Held(Npgsql.NpgsqlConnection connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await using (var rollback = new Npgsql.NpgsqlCommand("ROLLBACK", connection)) await rollback.ExecuteNonQueryAsync();
            await connection.DisposeAsync();
        }
    }

    protected override async Task<byte[]> ReadEverythingStoredAsync()
    {
        // Everything in the tables, in PostgreSQL's own text and binary forms.
        await using var connection = new Npgsql.NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        var bytes = new List<byte>();
        foreach (var table in new[] { "signing_keys", "audit_log" })
        {
            await using var command = new Npgsql.NpgsqlCommand($"SELECT t::text FROM {table} t", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) bytes.AddRange(Encoding.UTF8.GetBytes(reader.GetString(0)));
        }
        await using (var raw = new Npgsql.NpgsqlCommand("SELECT sealed_private_key, certificate FROM signing_keys", connection))
        await using (var reader = await raw.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                bytes.AddRange((byte[])reader[0]);
                bytes.AddRange((byte[])reader[1]);
            }
        }
        return bytes.ToArray();
    }
}
