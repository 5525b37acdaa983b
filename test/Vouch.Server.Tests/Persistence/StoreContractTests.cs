using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Vouch.Server.Audit;
using Vouch.Server.Keys;
using Vouch.Server.Persistence;
using Vouch.Server.Secrets;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Persistence;

/// <summary>
/// The behaviour of the stored state (signing keys, audit log) that must hold on every database provider; run
/// against SQLite and against a real PostgreSQL by the subclasses below.
/// </summary>
public abstract partial class StoreContractTests : IAsyncLifetime
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
