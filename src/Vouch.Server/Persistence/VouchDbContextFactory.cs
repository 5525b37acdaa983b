using Microsoft.EntityFrameworkCore;

namespace Vouch.Server.Persistence;

/// <summary>Creates a <see cref="VouchDbContext"/> of the configured provider; options are built once.</summary>
public sealed class VouchDbContextFactory : IDbContextFactory<VouchDbContext>
{
    private readonly DatabaseSettings _settings;
    private readonly DbContextOptions<SqliteVouchDbContext>? _sqlite;
    private readonly DbContextOptions<PostgresVouchDbContext>? _postgres;

    public VouchDbContextFactory(DatabaseSettings settings)
    {
        _settings = settings;
        if (settings.Provider == DatabaseProvider.Sqlite)
            _sqlite = new DbContextOptionsBuilder<SqliteVouchDbContext>().UseSqlite(settings.ConnectionString).Options;
        else
            _postgres = new DbContextOptionsBuilder<PostgresVouchDbContext>().UseNpgsql(settings.ConnectionString).Options;
    }

    public DatabaseSettings Settings => _settings;

    public VouchDbContext CreateDbContext() =>
        _sqlite is not null ? new SqliteVouchDbContext(_sqlite) : new PostgresVouchDbContext(_postgres!);
}
