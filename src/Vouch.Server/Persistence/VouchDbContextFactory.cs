using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Vouch.Server.Persistence;

/// <summary>
/// Creates a <see cref="VouchDbContext"/> of the configured provider from a pool (up to 1024 idle contexts): a
/// context's internal services are resolved once, not on every request (they were a tenth of the server's CPU per
/// issued token). Contexts hold no state of their own, so a reused one is as good as a new one; options are built once.
/// </summary>
public sealed class VouchDbContextFactory : IDbContextFactory<VouchDbContext>
{
    private readonly DatabaseSettings _settings;
    private readonly PooledDbContextFactory<SqliteVouchDbContext>? _sqlite;
    private readonly PooledDbContextFactory<PostgresVouchDbContext>? _postgres;

    public VouchDbContextFactory(DatabaseSettings settings)
    {
        _settings = settings;
        if (settings.Provider == DatabaseProvider.Sqlite)
            _sqlite = new(new DbContextOptionsBuilder<SqliteVouchDbContext>().UseSqlite(settings.ConnectionString).Options);
        else
            _postgres = new(new DbContextOptionsBuilder<PostgresVouchDbContext>().UseNpgsql(settings.ConnectionString).Options);
    }

    public DatabaseSettings Settings => _settings;

    public VouchDbContext CreateDbContext() =>
        _sqlite is not null ? _sqlite.CreateDbContext() : _postgres!.CreateDbContext();
}
