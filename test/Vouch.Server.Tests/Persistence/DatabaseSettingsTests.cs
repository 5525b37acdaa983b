using Vouch.Server.Persistence;
using Xunit;

namespace Vouch.Server.Tests.Persistence;

public sealed class DatabaseSettingsTests
{
    [Fact]
    public void No_database_means_the_embedded_sqlite_file()
    {
        var settings = DatabaseSettings.Parse(null);

        Assert.Equal(DatabaseProvider.Sqlite, settings.Provider);
        Assert.Equal(Path.GetFullPath("vouch.db"), settings.SqlitePath);
    }

    [Fact]
    public void A_postgres_uri_becomes_a_connection_string_and_its_password_is_not_displayed()
    {
        var settings = DatabaseSettings.Parse("postgresql://vouch:s3cret%21@db.internal:6543/vouch?sslmode=require");

        Assert.Equal(DatabaseProvider.PostgreSql, settings.Provider);
        Assert.Contains("Host=db.internal", settings.ConnectionString, StringComparison.Ordinal);
        Assert.Contains("Port=6543", settings.ConnectionString, StringComparison.Ordinal);
        Assert.Contains("Password=s3cret!", settings.ConnectionString, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", settings.Display, StringComparison.Ordinal);
        Assert.Equal("PostgreSQL vouch@db.internal:6543/vouch", settings.Display);
    }

    [Fact]
    public void A_key_value_connection_string_with_a_host_is_postgres()
    {
        var settings = DatabaseSettings.Parse("Host=127.0.0.1;Username=vouch;Password=pw;Database=vouch");

        Assert.Equal(DatabaseProvider.PostgreSql, settings.Provider);
        Assert.DoesNotContain("pw", settings.Display, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgresql://vouch@db.internal/vouch", true)]
    [InlineData("Host=db.internal;Username=vouch;Database=vouch", true)]
    [InlineData("Host=db.internal;Username=vouch;Database=vouch;No Reset On Close=false", false)]
    [InlineData("postgresql://vouch@db.internal/vouch?No%20Reset%20On%20Close=false", false)]
    public void Pooled_postgres_connections_skip_the_reset_unless_the_operator_says_otherwise(string value, bool noReset)
    {
        var settings = DatabaseSettings.Parse(value);

        Assert.Equal(noReset, new Npgsql.NpgsqlConnectionStringBuilder(settings.ConnectionString).NoResetOnClose);
    }

    [Fact]
    public void A_path_is_a_sqlite_file()
    {
        var settings = DatabaseSettings.Parse("/var/lib/vouch/vouch.db");

        Assert.Equal(DatabaseProvider.Sqlite, settings.Provider);
        Assert.Equal("/var/lib/vouch/vouch.db", settings.SqlitePath);
    }
}
