using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Vouch.Server.Audit;
using Vouch.Server.Keys;
using Vouch.Server.Persistence;
using Xunit;

namespace Vouch.Server.Tests.Persistence;

// Signing keys: first start, rotation, retirement, and who changed them.
public abstract partial class StoreContractTests
{
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
        // One instance read the keys before the rotation and rereads them only just before the handover; the other at once.
        var late = await LoadedRingAsync();
        var rotatedAt = Time.GetUtcNow();
        var rotation = await store.RotateAsync(AuditActors.Admin, CancellationToken.None);
        var prompt = await LoadedRingAsync();
        var handover = rotation.ActivatesAt;
        Time.Advance(handover.AddMilliseconds(-1) - Time.GetUtcNow());
        await late.ReloadAsync(CancellationToken.None);

        KeyRingProvider[] instances = [prompt, late];

        foreach (var at in new[] { rotatedAt, handover.AddMilliseconds(-1), handover, handover.AddHours(1) })
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
}
