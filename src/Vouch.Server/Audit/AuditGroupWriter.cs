using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using Vouch.Server.Persistence;

namespace Vouch.Server.Audit;

/// <summary>The newest audit record's place in the chain; null when the log is empty.</summary>
internal sealed record ChainHead(long Sequence, string Hash, string? KeyEncryptionKeyId);

/// <summary>
/// Commits one group of <see cref="AuditLog.WriteAsync"/> calls in plain ADO.NET: in one transaction on a pooled
/// connection, it takes the append lock (PostgreSQL's advisory lock; SQLite's write lock with <c>BEGIN IMMEDIATE</c>),
/// reads the head, lets the caller chain the records on it, inserts them and commits. Through EF Core the group
/// commit cost a sixth of the server's CPU per issued token (a context, change tracking, SaveChanges' command
/// building); the rows and the lock are exactly those of <see cref="AuditLog.StageAppendAsync"/>, so both kinds of
/// appender, on any instance, keep one chain. Errors are the provider's own: <see cref="Conflicts"/> and
/// <see cref="DatabaseOutages"/> recognize them.
/// </summary>
internal sealed class AuditGroupWriter(DatabaseSettings database)
{
    private const string HeadSql = "SELECT sequence, hash, kek_id FROM audit_log ORDER BY sequence DESC LIMIT 1";

    private const string SqliteInsertSql = """
        INSERT INTO audit_log (sequence, time, type, actor, client_address, data, previous_hash, kek_id, hash)
        VALUES ($sequence, $time, $type, $actor, $client_address, $data, $previous_hash, $kek_id, $hash)
        """;

    private static readonly string[] SqliteInsertParameters =
        ["$sequence", "$time", "$type", "$actor", "$client_address", "$data", "$previous_hash", "$kek_id", "$hash"];

    // One statement for the whole group whatever its size, so that it stays prepared on each pooled connection.
    private const string PostgresInsertSql = """
        INSERT INTO audit_log (sequence, time, type, actor, client_address, data, previous_hash, kek_id, hash)
        SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
        """;

    /// <summary>
    /// Appends the records that <paramref name="chain"/> makes on the head it is given (under the lock, so no other
    /// appender moves it meanwhile), in one transaction; if <paramref name="chain"/> throws, nothing is written.
    /// </summary>
    public Task StageAppendAsync(Func<ChainHead?, IReadOnlyList<AuditRecord>> chain) =>
        database.Provider == DatabaseProvider.Sqlite ? AppendOnSqliteAsync(chain) : AppendOnPostgresAsync(chain);

    private async Task AppendOnSqliteAsync(Func<ChainHead?, IReadOnlyList<AuditRecord>> chain)
    {
        // Groups are committed one at a time (one appender per instance), so one open connection with both
        // statements prepared serves them all; after any error it is closed and the next group opens a new one.
        _sqlite ??= await SqliteAppender.OpenAsync(database.ConnectionString);
        var appended = false;
        try
        {
            await _sqlite.StageAppendAsync(chain);
            appended = true;
        }
        finally
        {
            if (!appended)
            {
                await _sqlite.DisposeAsync();
                _sqlite = null;
            }
        }
    }

    private SqliteAppender? _sqlite;

    /// <summary>An open SQLite connection with the head read and the insert prepared on it.</summary>
    private sealed class SqliteAppender : IAsyncDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _head;
        private readonly SqliteCommand _insert;
        private readonly SqliteParameter[] _parameters;

        private SqliteAppender(SqliteConnection connection)
        {
            _connection = connection;
            _head = new SqliteCommand(HeadSql, connection);
            _insert = new SqliteCommand(SqliteInsertSql, connection);
            _parameters = SqliteInsertParameters.Select(name => _insert.Parameters.Add(name, name is "$sequence" or "$time" ? SqliteType.Integer : SqliteType.Text)).ToArray();
        }

        public static async Task<SqliteAppender> OpenAsync(string connectionString)
        {
            var connection = new SqliteConnection(connectionString);
            var appender = new SqliteAppender(connection);
            var opened = false;
            try
            {
                await connection.OpenAsync();
                appender._head.Prepare();
                appender._insert.Prepare();
                opened = true;
                return appender;
            }
            finally
            {
                if (!opened) await appender.DisposeAsync();
            }
        }

        public async Task StageAppendAsync(Func<ChainHead?, IReadOnlyList<AuditRecord>> chain)
        {
            // Not deferred: BEGIN IMMEDIATE takes the write lock before the head is read, as EF Core's transactions do.
            await using var transaction = _connection.BeginTransaction(deferred: false);
            _head.Transaction = transaction;
            _insert.Transaction = transaction;
            ChainHead? head;
            await using (var reader = await _head.ExecuteReaderAsync()) head = await ReadHeadAsync(reader);
            foreach (var r in chain(head))
            {
                _parameters[0].Value = r.Sequence;
                // As the EF model stores a DateTimeOffset on SQLite: UTC ticks.
                _parameters[1].Value = r.Time.UtcTicks;
                _parameters[2].Value = r.Type;
                _parameters[3].Value = r.Actor;
                _parameters[4].Value = (object?)r.ClientAddress ?? DBNull.Value;
                _parameters[5].Value = r.Data;
                _parameters[6].Value = r.PreviousHash;
                _parameters[7].Value = (object?)r.KeyEncryptionKeyId ?? DBNull.Value;
                _parameters[8].Value = r.Hash;
                await _insert.ExecuteNonQueryAsync();
            }
            await transaction.CommitAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await _head.DisposeAsync();
            await _insert.DisposeAsync();
            await _connection.DisposeAsync();
        }
    }

    private async Task AppendOnPostgresAsync(Func<ChainHead?, IReadOnlyList<AuditRecord>> chain)
    {
        // The connection string's pool, which EF Core shares and DatabaseOutages.ForgetPooledConnections clears.
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        ChainHead? head;
        await using (var read = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock($1)") { Parameters = { new NpgsqlParameter<long> { TypedValue = AuditLog.AppendLockKey } } },
                new NpgsqlBatchCommand(HeadSql),
            },
        })
        {
            await read.PrepareAsync();
            await using var reader = await read.ExecuteReaderAsync();
            await reader.NextResultAsync();
            head = await ReadHeadAsync(reader);
        }
        var records = chain(head);
        await using (var insert = new NpgsqlCommand(PostgresInsertSql, connection, transaction)
        {
            Parameters =
            {
                new NpgsqlParameter<long[]> { TypedValue = records.Select(r => r.Sequence).ToArray() },
                new NpgsqlParameter<DateTimeOffset[]> { TypedValue = records.Select(r => r.Time).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz },
                Texts(records, r => r.Type), Texts(records, r => r.Actor), Texts(records, r => r.ClientAddress), Texts(records, r => r.Data),
                Texts(records, r => r.PreviousHash), Texts(records, r => r.KeyEncryptionKeyId), Texts(records, r => r.Hash),
            },
        })
        {
            await insert.PrepareAsync();
            await insert.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
    }

    /// <summary>The head that <see cref="HeadSql"/> read: its one row, or null for an empty log.</summary>
    private static async Task<ChainHead?> ReadHeadAsync(DbDataReader reader) =>
        await reader.ReadAsync() ? new ChainHead(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)) : null;

    private static NpgsqlParameter<string?[]> Texts(IReadOnlyList<AuditRecord> records, Func<AuditRecord, string?> column) =>
        new() { TypedValue = records.Select(column).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };
}
