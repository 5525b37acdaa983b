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
        if (factory.Settings.SqlitePath is { } path) CreateOwnerOnly(path);

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

    /// <summary>
    /// Creates the SQLite file (and its folders, 0700, when missing) readable by the server's user only, in the one
    /// call that creates it: never created with the umask's mode and chmod-ed after, which would leave a moment
    /// in which another user could open it and keep reading. SQLite gives its -journal, -wal and -shm files the
    /// database file's mode. The file holds sealed signing keys and the audit trail.
    /// </summary>
    private static void CreateOwnerOnly(string path)
    {
        if (File.Exists(path)) return;
        PrivateDirectory.Create(Path.GetDirectoryName(path)!);
        try
        {
            using var created = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another instance starting at the same moment created it, the same way.
        }
    }
}
