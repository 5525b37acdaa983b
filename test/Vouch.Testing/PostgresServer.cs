using Npgsql;

namespace Vouch.Testing;

/// <summary>
/// A real, private PostgreSQL cluster for the test run (test/peers/postgres/start-postgres.sh) on a free loopback
/// port, stopped on dispose. Each test gets its own database from <see cref="CreateDatabaseAsync"/>.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly TemporaryDirectory _directory;
    private readonly int _port;

    private PostgresServer(TemporaryDirectory directory, int port) => (_directory, _port) = (directory, port);

    public static async Task<PostgresServer> StartAsync()
    {
        var directory = new TemporaryDirectory("vouch-pg-");
        var port = FreePort.Next();
        var script = Path.Combine(RepositoryPaths.PeersDirectory, "postgres", "start-postgres.sh");
        var result = await ProcessRunner.RunAsync("bash", [script, directory.Path, port.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            timeout: TimeSpan.FromSeconds(120));
        if (result.ExitCode != 0)
        {
            directory.Dispose();
            throw new InvalidOperationException($"PostgreSQL did not start (is the postgresql package installed? scripts/install-test-deps.sh installs it): {result.StandardError}");
        }
        return new PostgresServer(directory, port);
    }

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={_port};Username=postgres;Database={database};Pooling=true;Maximum Pool Size=20;Timeout=15";

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "vouch_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>
    /// Restarts the cluster (a fast shutdown that closes every connection, <paramref name="down"/> with nothing
    /// listening, then a start on the same port), as an operator's restart would.
    /// </summary>
    public async Task RestartAsync(TimeSpan down)
    {
        var script = Path.Combine(RepositoryPaths.PeersDirectory, "postgres", "restart-postgres.sh");
        var result = await ProcessRunner.RunAsync("bash", [script, _directory.Path, ((int)down.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture)],
            timeout: TimeSpan.FromSeconds(120));
        if (result.ExitCode != 0) throw new InvalidOperationException($"PostgreSQL did not restart: {result.StandardError}");
    }

    /// <summary>
    /// Ends every connection to <paramref name="database"/> but this one (<c>pg_terminate_backend</c>), as an
    /// administrator or a failing network would; returns how many.
    /// </summary>
    public async Task<int> TerminateConnectionsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = @database AND pid <> pg_backend_pid()", connection);
        command.Parameters.AddWithValue("database", database);
        return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The database name in <paramref name="connectionString"/>.</summary>
    public static string DatabaseOf(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString).Database!;

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        var script = Path.Combine(RepositoryPaths.PeersDirectory, "postgres", "stop-postgres.sh");
        await ProcessRunner.RunAsync("bash", [script, _directory.Path], timeout: TimeSpan.FromSeconds(60));
        _directory.Dispose();
    }
}
