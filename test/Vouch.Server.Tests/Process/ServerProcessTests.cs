using System.Security.Cryptography;
using System.Text.Json;
using Vouch.Server.Keys;
using Vouch.Server.Secrets;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Process;

/// <summary>The published <c>vouch-server</c> binary, run as users run it.</summary>
public sealed partial class ServerProcessTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static async Task<List<string>> KidsAsync(string issuer)
    {
        using var client = new HttpClient();
        using var jwks = JsonDocument.Parse(await client.GetStringAsync(issuer + "/.well-known/jwks.json"));
        return jwks.RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!).ToList();
    }

    /// <summary>Starts and stops the server once, which leaves a migrated database with its first keys.</summary>
    private async Task CreateDevelopmentDatabaseAsync()
    {
        await using var server = await ServerProcess.StartAsync(_directory.Path, ["--development"]);
        await server.StopAsync();
    }

    private Task<ProcessResult> RunAsync(IDictionary<string, string?>? environment, params string[] arguments) =>
        ProcessRunner.RunAsync(RepositoryPaths.ServerBinary, arguments, environment, _directory.Path, TimeSpan.FromSeconds(60));

    [Fact]
    public async Task A_restarted_server_publishes_the_same_keys_and_signs_with_the_same_one()
    {
        var port = FreePort.Next();
        List<string> before;
        await using (var first = await ServerProcess.StartAsync(_directory.Path, ["--development"], port: port))
        {
            before = await KidsAsync(first.Issuer);
            Assert.Equal(0, await first.StopAsync());
        }

        await using var second = await ServerProcess.StartAsync(_directory.Path, ["--development"], port: port);
        var after = await KidsAsync(second.Issuer);

        Assert.Equal(2, before.Count);
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task The_database_files_hold_no_private_key_in_the_clear()
    {
        await CreateDevelopmentDatabaseAsync();
        using var kek = new KeyEncryptionKey(Convert.FromBase64String(File.ReadAllText(_directory.File("vouch.db.kek")).Trim()));
        var stored = Directory.GetFiles(_directory.Path, "vouch.db*").Where(f => !f.EndsWith(".kek", StringComparison.Ordinal))
            .SelectMany(File.ReadAllBytes).ToArray();

        await using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_directory.File("vouch.db")};Mode=ReadOnly;Pooling=False");
        await db.OpenAsync();
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT kid, sealed_private_key FROM signing_keys";
        await using var reader = await command.ExecuteReaderAsync();
        var checkedKeys = 0;
        while (await reader.ReadAsync())
        {
            var pkcs8 = kek.Open((byte[])reader[1], reader.GetString(0));
            using var ecdsa = ECDsa.Create();
            ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
            var d = ecdsa.ExportParameters(true).D!;
            Assert.Equal(-1, stored.AsSpan().IndexOf(d));
            Assert.Equal(-1, stored.AsSpan().IndexOf(pkcs8));
            checkedKeys++;
        }
        Assert.Equal(2, checkedKeys);
    }

    [Fact]
    public async Task Sigterm_stops_the_server_cleanly()
    {
        await using var server = await ServerProcess.StartAsync(_directory.Path, ["--development"]);

        Assert.Equal(0, await server.StopAsync());
    }

    [Theory]
    [InlineData("--issuer", "http://vouch.example.com", "must use https://")]
    [InlineData("--issuer", "https://vouch.example.com/", "must not end with '/'")]
    [InlineData("--listen", "ftp://0.0.0.0:1", "--listen")]
    public async Task A_bad_setting_stops_the_server_with_a_message_that_names_it(string flag, string value, string message)
    {
        var issuer = flag == "--issuer" ? value : "http://localhost:8080";
        var result = await RunAsync(null, "serve", "--development", "--issuer", issuer, flag == "--issuer" ? "--audience" : flag, flag == "--issuer" ? "aud" : value);

        Assert.Equal(3, result.ExitCode);
        Assert.Contains(message, result.StandardError, StringComparison.Ordinal);
        Assert.Empty(result.StandardOutput);
    }

    [Fact]
    public async Task Outside_development_mode_a_key_encryption_key_is_required()
    {
        var result = await RunAsync(null, "serve", "--issuer", "https://vouch.example.com");

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("VOUCH_KEY_ENCRYPTION_KEY", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_started_with_another_key_encryption_key_refuses_to_start_and_says_why()
    {
        var kek = new Dictionary<string, string?> { ["VOUCH_KEY_ENCRYPTION_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        await using (var server = await ServerProcess.StartAsync(_directory.Path, [], kek))
        {
            await server.StopAsync();
        }
        var other = new Dictionary<string, string?> { ["VOUCH_KEY_ENCRYPTION_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };

        var result = await RunAsync(other, "serve", "--issuer", $"http://127.0.0.1:{FreePort.Next()}");

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("key-encryption key", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_list_shows_the_current_and_next_keys_and_rotate_schedules_the_next()
    {
        await CreateDevelopmentDatabaseAsync();

        var list = await RunAsync(null, "keys", "list");
        var rotate = await RunAsync(null, "keys", "rotate", "--development");
        var listAfter = await RunAsync(null, "keys", "list");

        Assert.Equal(0, list.ExitCode);
        Assert.Contains(" current ", list.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(" next ", list.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(0, rotate.ExitCode);
        Assert.StartsWith("key ", rotate.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(4, listAfter.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Keys_rotate_in_development_mode_on_a_database_of_another_key_encryption_key_is_refused_and_adds_no_key()
    {
        var kek = new Dictionary<string, string?> { ["VOUCH_KEY_ENCRYPTION_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        await using (var server = await ServerProcess.StartAsync(_directory.Path, [], kek))
        {
            await server.StopAsync();
        }
        var before = await RunAsync(null, "keys", "list");

        // The development key-encryption key (vouch.db.kek, made on first use) is not the one the server ran with.
        var rotate = await RunAsync(null, "keys", "rotate", "--development");

        Assert.Equal(3, rotate.ExitCode);
        Assert.Empty(rotate.StandardOutput);
        Assert.Contains("VOUCH_KEY_ENCRYPTION_KEY", rotate.StandardError, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", rotate.StandardError, StringComparison.Ordinal);
        Assert.Equal(before.StandardOutput, (await RunAsync(null, "keys", "list")).StandardOutput);
        Assert.Equal(0, (await RunAsync(kek, "audit", "verify")).ExitCode);
    }

    [Fact]
    public async Task Invite_prints_the_code_alone_and_stores_only_its_hash()
    {
        await CreateDevelopmentDatabaseAsync();

        var invite = await RunAsync(null, "invite", "--email", "Alice@Example.com", "--development");

        Assert.Equal(0, invite.ExitCode);
        var code = invite.StandardOutput.TrimEnd('\n');
        Assert.Matches("^vi_[A-Za-z0-9_-]{32}$", code);
        Assert.Contains("alice@example.com", invite.StandardError, StringComparison.Ordinal);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var stored = Directory.GetFiles(_directory.Path, "vouch.db*").SelectMany(File.ReadAllBytes).ToArray();
        Assert.Equal(-1, stored.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(code[3..])));
        var audit = await RunAsync(null, "audit", "--json");
        Assert.Contains("\"type\":\"invite.created\"", audit.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(code, audit.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--email", "not-an-email")]
    [InlineData("--expires-in", "0")]
    [InlineData("--domain", "not a domain")]
    public async Task Invite_refuses_bad_input_without_writing_anything(string flag, string value)
    {
        await CreateDevelopmentDatabaseAsync();
        string[] arguments = flag == "--email" ? ["invite", "--development", "--email", value] : ["invite", "--development", "--email", "alice@example.com", flag, value];

        var result = await RunAsync(null, arguments);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Empty(result.StandardOutput);
        Assert.Contains(flag, result.StandardError, StringComparison.Ordinal);
        var audit = await RunAsync(null, "audit", "--json");
        Assert.DoesNotContain("invite.created", audit.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Admin_commands_on_a_database_that_does_not_exist_say_so()
    {
        var result = await RunAsync(null, "keys", "list", "--database", _directory.File("absent.db"));

        Assert.Equal(4, result.ExitCode);
        Assert.Contains("does not exist", result.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(_directory.File("absent.db")));
    }
}
