using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Vouch.Server.Persistence;

/// <summary>
/// Recognizes the errors that mean "another writer got there first" (unique or concurrency conflicts, a busy
/// SQLite file, a PostgreSQL serialization failure), after which a read-then-write is worth trying again.
/// </summary>
internal static class Conflicts
{
    public static bool IsRetryable(Exception exception) => exception switch
    {
        DbUpdateConcurrencyException => true,
        DbUpdateException { InnerException: { } inner } => IsRetryable(inner),
        // 5 SQLITE_BUSY, 6 SQLITE_LOCKED, 19 SQLITE_CONSTRAINT (a unique index).
        SqliteException sqlite => sqlite.SqliteErrorCode is 5 or 6 or 19,
        PostgresException postgres => postgres.SqlState is PostgresErrorCodes.UniqueViolation
            or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected,
        _ => false,
    };

    /// <summary>
    /// Runs <paramref name="work"/> in a transaction on a fresh context, saves what it staged and commits; tries
    /// again from the start when another writer got there first.
    /// </summary>
    public static Task<T> InTransactionAsync<T>(
        VouchDbContextFactory factory, Func<VouchDbContext, Task<T>> work, CancellationToken cancellationToken) =>
        RetryAsync(factory, async db =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var result = await work(db);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }, cancellationToken);

    /// <summary>Runs <paramref name="attempt"/> on a fresh context until it succeeds or stops conflicting.</summary>
    public static Task<T> RetryAsync<T>(
        VouchDbContextFactory factory, Func<VouchDbContext, Task<T>> attempt, CancellationToken cancellationToken, int attempts = 8) =>
        RetryAsync(async () =>
        {
            await using var db = factory.CreateDbContext();
            return await attempt(db);
        }, cancellationToken, attempts);

    /// <summary>Runs <paramref name="attempt"/> (which opens its own connection) until it succeeds or stops conflicting.</summary>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> attempt, CancellationToken cancellationToken, int attempts = 8)
    {
        for (var i = 1; ; i++)
        {
            try
            {
                return await attempt();
            }
            catch (Exception e) when (i < attempts && IsRetryable(e))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * i)), cancellationToken);
            }
        }
    }
}
