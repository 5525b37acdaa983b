using Microsoft.Data.Sqlite;
using Npgsql;

namespace Vouch.Server.Persistence;

/// <summary>Which database engine the server uses.</summary>
public enum DatabaseProvider
{
    Sqlite,
    PostgreSql,
}

/// <summary>
/// Where the server keeps its state: a SQLite file (the embedded default) or PostgreSQL, chosen from the
/// <c>--database</c> value. <see cref="Display"/> never contains a password.
/// </summary>
public sealed record DatabaseSettings(DatabaseProvider Provider, string ConnectionString, string Display)
{
    /// <summary>The SQLite file used when no database is configured, relative to the working directory.</summary>
    public const string DefaultSqliteFile = "vouch.db";

    /// <summary>The SQLite file's full path, or null for PostgreSQL.</summary>
    public string? SqlitePath { get; init; }

    /// <summary>The settings <paramref name="value"/> names, or null with a problem that names the setting.</summary>
    internal static DatabaseSettings? TryParse(string? value, List<Problem> errors)
    {
        try
        {
            return Parse(value);
        }
        catch (Exception e) when (e is ArgumentException or UriFormatException or KeyNotFoundException)
        {
            errors.Add(SettingProblem.Of($"database {SettingNames.Database}: {e.Message}"));
            return null;
        }
    }

    public static DatabaseSettings Parse(string? value)
    {
        value = string.IsNullOrWhiteSpace(value) ? DefaultSqliteFile : value.Trim();
        if (value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
            value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
            return PostgreSql(FromUri(new Uri(value)));
        if (value.Contains('=', StringComparison.Ordinal) && value.Contains("host", StringComparison.OrdinalIgnoreCase))
            return PostgreSql(new NpgsqlConnectionStringBuilder(value));

        var path = Path.GetFullPath(value);
        var sqlite = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        };
        return new DatabaseSettings(DatabaseProvider.Sqlite, sqlite.ToString(), $"SQLite {path}") { SqlitePath = path };
    }

    private static DatabaseSettings PostgreSql(NpgsqlConnectionStringBuilder builder)
    {
        // A pooled connection needs no reset on its way back: the server sets no session state and takes only
        // transaction-scoped advisory locks, and the reset would cost every token request a statement (issue 13).
        // An explicit "No Reset On Close" in the operator's string wins.
        if (!builder.ToString().Contains("No Reset On Close", StringComparison.OrdinalIgnoreCase)) builder.NoResetOnClose = true;
        var display = $"PostgreSQL {builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";
        return new DatabaseSettings(DatabaseProvider.PostgreSql, builder.ToString(), display);
    }

    private static NpgsqlConnectionStringBuilder FromUri(Uri uri)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
        };
        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0) builder.Username = Uri.UnescapeDataString(userInfo[0]);
        if (userInfo.Length > 1) builder.Password = Uri.UnescapeDataString(userInfo[1]);
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            if (parts.Length == 2) builder[Uri.UnescapeDataString(parts[0])] = Uri.UnescapeDataString(parts[1]);
        }
        return builder;
    }
}
