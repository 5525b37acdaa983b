using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Vouch.Server;
using Vouch.Server.Audit;
using Vouch.Server.Keys;
using Vouch.Protocol;
using Vouch.Server.Persistence;
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
        var audit = new AuditLog(factory, Time);
        return (new KeyStore(factory, audit, Time, Policy, new SigningKeyFactory(kek ?? Kek)), audit, factory);
    }

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
        var verification = await new AuditChainVerifier(Instance().Factory).VerifyAsync(CancellationToken.None);
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
    public async Task Rotation_of_a_long_published_next_key_takes_effect_within_the_refresh_interval()
    {
        var (store, _, _) = Instance();
        await store.EnsureAsync(AuditActors.System, CancellationToken.None);
        Time.Advance(TimeSpan.FromDays(3));

        var rotation = await store.RotateAsync(AuditActors.Admin, CancellationToken.None);

        Assert.Equal(StoredTime.Now(Time) + KeyPolicy.RefreshInterval, rotation.ActivatesAt);
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
    public async Task Keys_sealed_with_another_key_encryption_key_are_refused_with_a_clear_error()
    {
        var (store, _, _) = Instance();
        await store.EnsureAsync(AuditActors.System, CancellationToken.None);
        using var otherKek = KeyEncryptionKey.Generate();

        var error = await Assert.ThrowsAsync<KeyEncryptionKeyMismatchException>(() => LoadedRingAsync(otherKek));

        Assert.Contains(Kek.Id, error.Message, StringComparison.Ordinal);
        Assert.Contains(otherKek.Id, error.Message, StringComparison.Ordinal);
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

        var verification = await new AuditChainVerifier(Instance().Factory).VerifyAsync(CancellationToken.None);
        Assert.True(verification.Intact, verification.Problem);
        Assert.Equal(24, verification.Records);
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

        var verification = await new AuditChainVerifier(factory).VerifyAsync(CancellationToken.None);
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

        var verification = await new AuditChainVerifier(factory).VerifyAsync(CancellationToken.None);
        Assert.False(verification.Intact);
        Assert.Equal(4, verification.BrokenAt);
        Assert.Contains("missing", verification.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rewritten_audit_record_with_a_recomputed_hash_breaks_the_link_to_the_next()
    {
        var factory = await WriteEventsAsync(3);

        await using (var db = factory.CreateDbContext())
        {
            var record = await db.AuditRecords.AsNoTracking().SingleAsync(r => r.Sequence == 2);
            var forgedHash = AuditHash.Compute(record.Sequence, record.Time, record.Type, "mallory", record.ClientAddress, record.Data, record.PreviousHash);
            await db.Database.ExecuteSqlAsync($"UPDATE audit_log SET actor = 'mallory', hash = {forgedHash} WHERE sequence = 2");
        }

        var verification = await new AuditChainVerifier(factory).VerifyAsync(CancellationToken.None);
        Assert.Equal(3, verification.BrokenAt);
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
        var verification = await new AuditChainVerifier(Instance().Factory).VerifyAsync(CancellationToken.None);
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
    public async Task A_revoked_invite_cannot_be_found_usable_nor_claimed()
    {
        var (_, audit, factory) = Instance();
        var invites = new InviteService(factory, audit, Time);
        var created = await invites.CreateAsync(EmailAddress.TryParse("bob@example.com")!, "example.com", TimeSpan.FromHours(1), "admin:alice", CancellationToken.None);

        await invites.RevokeAsync(created.Invite.Id, "admin:alice", CancellationToken.None);

        Assert.Equal(ErrorCodes.InvalidInvite, (await invites.FindUsableAsync(created.Code, CancellationToken.None)).Problem!.Code);
        await using var db = factory.CreateDbContext();
        Assert.False(await invites.ClaimAsync(db, created.Invite.Id, CancellationToken.None));
        Assert.Equal(InviteStates.Revoked, (await invites.ListAsync(CancellationToken.None)).Single().State);
    }
}

public sealed class SqliteStoreTests : StoreContractTests
{
    private readonly TemporaryDirectory _directory = new();

    protected override Task<DatabaseSettings> CreateDatabaseAsync() =>
        Task.FromResult(DatabaseSettings.Parse(_directory.File("vouch.db")));

    protected override Task<byte[]> ReadEverythingStoredAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var bytes = new List<byte>();
        foreach (var file in Directory.GetFiles(_directory.Path)) bytes.AddRange(File.ReadAllBytes(file));
        return Task.FromResult(bytes.ToArray());
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
