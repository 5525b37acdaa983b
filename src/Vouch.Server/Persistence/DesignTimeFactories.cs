using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Vouch.Server.Persistence;

/// <summary>Lets <c>dotnet ef migrations add --context SqliteVouchDbContext</c> build the SQLite model.</summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteVouchDbContext>
{
    public SqliteVouchDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteVouchDbContext>().UseSqlite("Data Source=design.db").Options);
}

/// <summary>Lets <c>dotnet ef migrations add --context PostgresVouchDbContext</c> build the PostgreSQL model.</summary>
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresVouchDbContext>
{
    public PostgresVouchDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresVouchDbContext>().UseNpgsql("Host=localhost;Database=design").Options);
}
