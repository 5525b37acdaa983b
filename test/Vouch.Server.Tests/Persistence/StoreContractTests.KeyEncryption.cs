using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Vouch.Server.Audit;
using Vouch.Server.Keys;
using Vouch.Server.Secrets;
using Xunit;

namespace Vouch.Server.Tests.Persistence;

// Signing keys under another key-encryption key, and no private key in the clear.
public abstract partial class StoreContractTests
{
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
}
