using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Vouch.Server.Persistence;
using Xunit;

namespace Vouch.Server.Tests.Persistence;

/// <summary>
/// Which database errors are an outage (answered 503 with Retry-After, reads retried) and which are not (a bug or a
/// conflict: 500, or the conflict retry). The end-to-end proof is ClusterTests with a real PostgreSQL restarted.
/// </summary>
public sealed class DatabaseOutagesTests
{
    [Theory]
    [InlineData("57P01")] // admin_shutdown: pg_terminate_backend, or a fast shutdown
    [InlineData("57P02")] // crash_shutdown
    [InlineData("57P03")] // cannot_connect_now: starting up or shutting down
    [InlineData("08006")] // connection_failure
    [InlineData("53300")] // too_many_connections
    public void A_postgres_error_about_the_connection_is_an_outage(string sqlState) =>
        Assert.True(DatabaseOutages.IsOutage(Postgres(sqlState)));

    [Theory]
    [InlineData("23505")] // unique_violation: a conflict, retried by Conflicts
    [InlineData("42P01")] // undefined_table: a bug
    [InlineData("40001")] // serialization_failure: a conflict
    public void A_postgres_error_about_the_statement_is_not_an_outage(string sqlState) =>
        Assert.False(DatabaseOutages.IsOutage(Postgres(sqlState)));

    [Fact]
    public void A_refused_or_broken_connection_is_an_outage_even_wrapped_by_ef_core()
    {
        var refused = new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused));
        var broken = new NpgsqlException("Exception while reading from stream", new EndOfStreamException());

        Assert.True(DatabaseOutages.IsOutage(refused));
        Assert.True(DatabaseOutages.IsOutage(broken));
        Assert.True(DatabaseOutages.IsOutage(new DbUpdateException("An error occurred while saving the entity changes", refused)));
        Assert.True(DatabaseOutages.IsOutage(new DbUpdateException("An error occurred while saving the entity changes", Postgres("57P01"))));
    }

    [Fact]
    public void A_bug_or_a_busy_sqlite_file_is_not_an_outage()
    {
        Assert.False(DatabaseOutages.IsOutage(new InvalidOperationException("a bug")));
        Assert.False(DatabaseOutages.IsOutage(new SqliteException("database is locked", 5)));
        Assert.False(DatabaseOutages.IsOutage(null));
    }

    private static PostgresException Postgres(string sqlState) => new("message", "FATAL", "FATAL", sqlState);
}
