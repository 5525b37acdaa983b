using Microsoft.Extensions.Time.Testing;
using Vouch.Server.Audit;
using Vouch.Server.Keys;
using Vouch.Server.Persistence;
using Vouch.Server.Secrets;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Keys;

public sealed class KeyScheduleTests
{
    private sealed record Key(string Kid, int Generation, DateTimeOffset ActivatesAt) : IScheduledKey;

    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_key_that_signs_is_the_latest_one_whose_activation_has_passed()
    {
        var schedule = new KeySchedule<Key>([new("a", 1, T0), new("b", 2, T0.AddDays(30)), new("c", 3, T0.AddDays(60))]);

        Assert.Equal("a", schedule.CurrentAt(T0.AddDays(29))!.Kid);
        Assert.Equal("b", schedule.CurrentAt(T0.AddDays(30))!.Kid);
        Assert.Equal("c", schedule.CurrentAt(T0.AddDays(61))!.Kid);
        Assert.Null(schedule.CurrentAt(T0.AddSeconds(-1)));
    }

    [Fact]
    public void Published_keys_are_current_first_then_next_then_retired()
    {
        var schedule = new KeySchedule<Key>([new("old", 1, T0), new("cur", 2, T0.AddDays(30)), new("next", 3, T0.AddDays(60))]);
        var now = T0.AddDays(30).AddMinutes(5);

        Assert.Equal(["cur", "next", "old"], schedule.PublishedAt(now).Select(k => k.Kid));
        Assert.Equal(KeyStatus.Retired, schedule.StatusAt(schedule.Keys[0], now));
        Assert.Equal(KeyStatus.Current, schedule.StatusAt(schedule.Keys[1], now));
        Assert.Equal(KeyStatus.Next, schedule.StatusAt(schedule.Keys[2], now));
    }

    [Fact]
    public void A_retired_key_stays_published_until_every_token_it_signed_has_expired()
    {
        var schedule = new KeySchedule<Key>([new("old", 1, T0), new("cur", 2, T0.AddDays(30))]);
        var retiredAt = T0.AddDays(30);
        // The longest token (15 minutes from an iat 60 s back) signed just before retirement must still verify.
        var lastTokenExpiry = retiredAt.AddMinutes(15);

        Assert.Contains("old", schedule.PublishedAt(lastTokenExpiry).Select(k => k.Kid));
        Assert.Equal(KeyStatus.Retired, schedule.StatusAt(schedule.Keys[0], retiredAt + KeyPolicy.RetiredRetention - TimeSpan.FromSeconds(1)));
        Assert.Equal(KeyStatus.Expired, schedule.StatusAt(schedule.Keys[0], retiredAt + KeyPolicy.RetiredRetention));
        Assert.DoesNotContain("old", schedule.PublishedAt(retiredAt + KeyPolicy.RetiredRetention).Select(k => k.Kid));
    }

    [Fact]
    public void The_next_change_is_the_earliest_activation_or_retirement_end()
    {
        var schedule = new KeySchedule<Key>([new("old", 1, T0), new("cur", 2, T0.AddDays(30)), new("next", 3, T0.AddDays(60))]);

        Assert.Equal(T0.AddDays(30) + KeyPolicy.RetiredRetention, schedule.NextChangeAfter(T0.AddDays(30)));
        Assert.Equal(T0.AddDays(60), schedule.NextChangeAfter(T0.AddDays(31)));
        Assert.Equal(DateTimeOffset.MaxValue, schedule.NextChangeAfter(T0.AddDays(61)));
    }

    [Fact]
    public async Task A_key_is_published_for_a_jwks_cache_lifetime_and_a_refresh_before_it_signs_even_right_after_keys_rotate()
    {
        using var directory = new TemporaryDirectory();
        using var kek = KeyEncryptionKey.Generate();
        var time = new FakeTimeProvider(T0);
        var factory = new VouchDbContextFactory(DatabaseSettings.Parse(directory.File("vouch.db")));
        await new DatabaseMigrator(factory).MigrateAsync(CancellationToken.None);
        var store = new KeyStore(factory, new AuditLog(factory, time, new AuditKey(kek)), time, new KeyPolicy(TimeSpan.FromDays(30)), new SigningKeyFactory(kek));
        // `keys rotate` twice in a row, then twice more, each soon after the key it promotes was created.
        TimeSpan[] rotations = [TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(2.5), TimeSpan.FromMinutes(7), TimeSpan.FromMinutes(8.5)];

        // The keys as an instance reads them at each refresh, with the rotation service's pass run first.
        var readAt = new Dictionary<DateTimeOffset, KeySchedule<SigningKeyRecord>>();
        for (var at = T0; at <= T0.AddMinutes(20); at += KeyPolicy.RefreshInterval)
        {
            time.SetUtcNow(at);
            await store.EnsureAsync(AuditActors.System, CancellationToken.None);
            if (rotations.Contains(at - T0)) await store.RotateAsync(AuditActors.Admin, CancellationToken.None);
            readAt[at] = new KeySchedule<SigningKeyRecord>(await store.LoadAsync(CancellationToken.None));
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        // A verifier may hold a JWKS fetched JwksMaxAge ago from an instance that read the keys RefreshInterval before.
        var oldestView = KeyPolicy.JwksMaxAge + KeyPolicy.RefreshInterval;
        var signers = new List<int>();
        foreach (var at in readAt.Keys.Where(at => at - oldestView >= T0))
        {
            // The signer may have read the keys now or one refresh ago.
            foreach (var signing in new[] { readAt[at].CurrentAt(at)!, readAt[at - KeyPolicy.RefreshInterval].CurrentAt(at)! })
            {
                signers.Add(signing.Generation);
                for (var seen = at - oldestView; seen <= at; seen += KeyPolicy.RefreshInterval)
                {
                    Assert.True(readAt[seen].PublishedAt(seen).Any(k => k.Kid == signing.Kid),
                        $"key {signing.Generation} signs at {at - T0} but the JWKS served at {seen - T0} lacks it");
                }
            }
        }
        Assert.Equal([1, 2, 3, 4], signers.Distinct());
    }
}
