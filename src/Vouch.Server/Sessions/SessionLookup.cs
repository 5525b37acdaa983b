using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Vouch.Server.Persistence;

namespace Vouch.Server.Sessions;

/// <summary>
/// A stored session found by its token hash, with its user, whether the key that opened it was revoked or locked
/// since, and whether that key's attestation proved it hardware.
/// </summary>
internal sealed record StoredSession(SessionRecord Session, UserRecord User, bool KeyRevoked, bool HardwareKey);

/// <summary>
/// The session lookup that every bearer request makes, as one prepared SQL statement per provider in plain ADO.NET
/// on the provider's connection pool: through EF Core it cost a seventh of the server's CPU per issued token (a
/// context, a compiled query's shaper, change-tracking-free materialization). It reads what the EF model stores,
/// column by column (<see cref="SessionConfiguration"/>, <see cref="UserConfiguration"/>): on SQLite times are
/// UTC ticks and ids text, on PostgreSQL <c>timestamptz</c> and <c>uuid</c>. It only finds; the caller judges.
/// </summary>
internal sealed class SessionLookup(DatabaseSettings database)
{
    // The key's state comes from a left join on the key's primary key: at most one row, none for a deleted key.
    private const string Sql = """
        SELECT s.id, s.user_id, s.credential_id, s.created_at, s.expires_at, s.revoked_at, s.revoked_by,
               u.email, u.domain, u.created_at, u.disabled_at, u.disabled_by, u.is_admin,
               (c.revoked_at IS NOT NULL OR c.locked_at IS NOT NULL), COALESCE(c.hardware_attested, FALSE)
        FROM sessions s
        JOIN users u ON u.id = s.user_id
        LEFT JOIN credentials c ON c.id = s.credential_id
        WHERE s.token_hash = $1 AND s.kind = $2
        """;

    /// <summary>How many open SQLite connections with the statement prepared are kept for reuse.</summary>
    private const int IdleSqliteReaders = 8;

    private readonly ConcurrentQueue<SqliteCommand> _idleSqlite = new();

    /// <summary>The session whose token hashes to <paramref name="tokenHash"/> and is of <paramref name="kind"/>, or null.</summary>
    public Task<StoredSession?> FindAsync(string tokenHash, string kind, CancellationToken cancellationToken) =>
        database.Provider == DatabaseProvider.Sqlite ? FindOnSqliteAsync(tokenHash, kind, cancellationToken) : FindOnPostgresAsync(tokenHash, kind, cancellationToken);

    private async Task<StoredSession?> FindOnSqliteAsync(string tokenHash, string kind, CancellationToken cancellationToken)
    {
        // SQLite prepares a statement per command; keeping a few prepared on open connections saves parsing and
        // planning the join on every request.
        if (!_idleSqlite.TryDequeue(out var command)) command = await OpenSqliteReaderAsync(cancellationToken);
        var reusable = false;
        try
        {
            command.Parameters[0].Value = tokenHash;
            command.Parameters[1].Value = kind;
            var found = await ReadAsync(command, tokenHash, kind, static (reader, i) => new DateTimeOffset(reader.GetInt64(i), TimeSpan.Zero), cancellationToken);
            reusable = true;
            return found;
        }
        finally
        {
            if (reusable && _idleSqlite.Count < IdleSqliteReaders) _idleSqlite.Enqueue(command);
            else await DisposeWithConnectionAsync(command);
        }
    }

    private async Task<SqliteCommand> OpenSqliteReaderAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(database.ConnectionString);
        var command = connection.CreateCommand();
        // $1 and $2 are named parameters to SQLite, positional ones to PostgreSQL: one statement for both.
        command.CommandText = Sql;
        command.Parameters.Add("$1", SqliteType.Text);
        command.Parameters.Add("$2", SqliteType.Text);
        var prepared = false;
        try
        {
            await connection.OpenAsync(cancellationToken);
            command.Prepare();
            prepared = true;
            return command;
        }
        finally
        {
            if (!prepared) await DisposeWithConnectionAsync(command);
        }
    }

    private static async ValueTask DisposeWithConnectionAsync(SqliteCommand command)
    {
        var connection = command.Connection;
        await command.DisposeAsync();
        if (connection is not null) await connection.DisposeAsync();
    }

    private async Task<StoredSession?> FindOnPostgresAsync(string tokenHash, string kind, CancellationToken cancellationToken)
    {
        // The connection string's pool, which EF Core shares and DatabaseOutages.ForgetPooledConnections clears.
        // A statement prepared on a pooled connection stays prepared on it: preparing again is then free.
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(Sql, connection)
        {
            Parameters = { new NpgsqlParameter<string> { TypedValue = tokenHash }, new NpgsqlParameter<string> { TypedValue = kind } },
        };
        await command.PrepareAsync(cancellationToken);
        return await ReadAsync(command, tokenHash, kind, static (reader, i) => reader.GetFieldValue<DateTimeOffset>(i), cancellationToken);
    }

    private static async Task<StoredSession?> ReadAsync(DbCommand command, string tokenHash, string kind, Func<DbDataReader, int, DateTimeOffset> time, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        DateTimeOffset? OptionalTime(int i) => reader.IsDBNull(i) ? null : time(reader, i);
        string? OptionalString(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        var userId = reader.GetGuid(1);
        var found = new StoredSession(
            new SessionRecord
            {
                Id = reader.GetGuid(0), TokenHash = tokenHash, UserId = userId, Kind = kind,
                CredentialId = reader.GetFieldValue<byte[]>(2), CreatedAt = time(reader, 3), ExpiresAt = time(reader, 4),
                RevokedAt = OptionalTime(5), RevokedBy = OptionalString(6),
            },
            new UserRecord
            {
                Id = userId, Email = reader.GetString(7), Domain = reader.GetString(8), CreatedAt = time(reader, 9),
                DisabledAt = OptionalTime(10), DisabledBy = OptionalString(11), IsAdmin = reader.GetBoolean(12),
            },
            KeyRevoked: reader.GetBoolean(13),
            HardwareKey: reader.GetBoolean(14));
        // The token hash is unique; a second row would be a broken database, as EF's SingleOrDefault treated it.
        if (await reader.ReadAsync(cancellationToken)) throw new InvalidOperationException("two sessions share one token hash");
        return found;
    }
}
