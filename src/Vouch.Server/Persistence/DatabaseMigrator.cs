using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Vouch.Server.Persistence;

/// <summary>
/// Brings the database schema up to date at start-up. EF Core takes a migration lock, so several instances may
/// start at once. A new SQLite file is created 0600 and switched to WAL.
/// </summary>
public sealed class DatabaseMigrator(VouchDbContextFactory factory)
{
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        if (factory.Settings.SqlitePath is { } path && !File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // The file holds sealed signing keys and the audit trail: readable by the server's user only.
            using (File.Create(path, 0, FileOptions.None)) { }
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        await using var db = factory.CreateDbContext();
        // Instances starting together race to create the schema (PostgreSQL reports the loser as a duplicate
        // table, type or column); the loser tries again and finds the migrations applied.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await db.Database.MigrateAsync(cancellationToken);
                break;
            }
            catch (PostgresException e) when (attempt < 5 && e.SqlState is PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.UniqueViolation
                or PostgresErrorCodes.DuplicateObject or PostgresErrorCodes.DuplicateColumn or PostgresErrorCodes.DeadlockDetected)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken);
            }
        }
        if (factory.Settings.Provider == DatabaseProvider.Sqlite)
        {
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            // Pooled connections would keep the file open; release them so that other processes see a clean file.
            SqliteConnection.ClearAllPools();
        }
    }
}
