using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Vouch.Server.Persistence;

/// <summary>
/// Recognizes the errors that mean "the database is away for a moment" (PostgreSQL restarting or shutting down, a
/// connection killed with <c>pg_terminate_backend</c>, a refused or broken socket, a pool exhausted past its timeout),
/// as opposed to a bug or a conflict. A read that met one is worth running again on a fresh connection; a request
/// whose write met one is answered <c>503</c> with <c>Retry-After</c> (<see cref="RetryAfterSeconds"/>), never 500,
/// because whether its transaction committed is unknown and only the client can safely ask again.
/// </summary>
public static class DatabaseOutages
{
    /// <summary>What a 503 for a database outage tells clients and load balancers to wait, in seconds (1).</summary>
    public const int RetryAfterSeconds = 1;

    /// <summary>Whether <paramref name="exception"/>, or one it wraps, is a database outage rather than a bug.</summary>
    public static bool IsOutage(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                // Class 08: connection exceptions; 57P01-57P03: the server is shutting down, crashed or starting;
                // 53300: too many connections (every instance's pool filling the server after a restart).
                case PostgresException postgres when postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                    || postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                        or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections:
                    return true;
                case PostgresException:
                    // Any other error the server reported is about the statement, not the connection.
                    return false;
                case NpgsqlException { IsTransient: true }:
                    return true;
                case SocketException or EndOfStreamException:
                    return true;
                // A SQLite file cannot go away like a server; its busy errors are conflicts (see Conflicts).
                case SqliteException:
                    return false;
            }
        }
        return false;
    }

    /// <summary>
    /// Runs the read <paramref name="read"/> on a fresh context, again (up to 3 times, 50-200 ms apart) when the
    /// database was away; pooled connections broken by the outage are dropped before the next attempt.
    /// </summary>
    public static Task<T> ReadAsync<T>(VouchDbContextFactory factory, Func<VouchDbContext, Task<T>> read, CancellationToken cancellationToken) =>
        ReadAsync(async () =>
        {
            await using var db = factory.CreateDbContext();
            return await read(db);
        }, cancellationToken);

    /// <summary>
    /// Runs the read <paramref name="read"/> (which opens its own connection), again (up to 3 times, 50-200 ms
    /// apart) when the database was away; pooled connections broken by the outage are dropped before the next attempt.
    /// </summary>
    public static async Task<T> ReadAsync<T>(Func<Task<T>> read, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await read();
            }
            catch (Exception e) when (attempt < 3 && IsOutage(e))
            {
                ForgetPooledConnections();
                await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt * attempt), cancellationToken);
            }
        }
    }

    /// <summary>
    /// Drops the idle pooled PostgreSQL connections (a restarted PostgreSQL has closed all of them, and each would
    /// fail one more request); connections in use are closed when returned. Nothing to do for SQLite.
    /// </summary>
    public static void ForgetPooledConnections() => NpgsqlConnection.ClearAllPools();
}
