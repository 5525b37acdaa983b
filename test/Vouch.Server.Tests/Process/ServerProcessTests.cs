using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
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
    public async Task The_audit_log_records_key_creation_and_verifies_intact()
    {
        await CreateDevelopmentDatabaseAsync();

        var json = await RunAsync(null, "audit", "--json");
        var verify = await RunAsync(null, "audit", "verify", "--development");

        Assert.Equal(0, json.ExitCode);
        var records = json.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["key.created", "key.created"], records.Select(r => r.GetProperty("type").GetString()));
        Assert.All(records, r => Assert.Equal("system", r.GetProperty("actor").GetString()));
        Assert.All(records, r => Assert.Equal(16, r.GetProperty("kek_id").GetString()!.Length));
        Assert.Equal(0, verify.ExitCode);
        Assert.StartsWith("audit log intact: 2 records, head 2:" + records[1].GetProperty("hash").GetString(), verify.StandardOutput, StringComparison.Ordinal);
    }

    /// <summary>The development key-encryption key that <see cref="CreateDevelopmentDatabaseAsync"/> left beside the database.</summary>
    private string DevelopmentKek => File.ReadAllText(_directory.File("vouch.db.kek")).Trim();

    [Fact]
    public async Task The_verification_script_in_the_docs_checks_the_chain_without_vouch()
    {
        await CreateDevelopmentDatabaseAsync();
        Assert.Equal(0, (await RunAsync(null, "keys", "rotate", "--development")).ExitCode);
        var json = await RunAsync(null, "audit", "--json");
        var docs = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "docs", "audit.md"));
        var start = docs.IndexOf("```python\n", StringComparison.Ordinal) + "```python\n".Length;
        var script = docs[start..docs.IndexOf("```", start, StringComparison.Ordinal)];
        var verify = await RunAsync(null, "audit", "verify", "--development");
        var kek = new Dictionary<string, string?> { ["VOUCH_KEY_ENCRYPTION_KEY"] = DevelopmentKek };

        var python = await ProcessRunner.RunAsync("python3", ["-c", script], kek, standardInput: json.StandardOutput);

        Assert.True(python.ExitCode == 0, python.StandardError);
        Assert.Equal("intact, head " + verify.StandardOutput.Split(" head ")[1].Trim(), python.StandardOutput.Trim());

        var tampered = json.StandardOutput.Replace("\"actor\":\"system\"", "\"actor\":\"mallory\"", StringComparison.Ordinal);
        var caught = await ProcessRunner.RunAsync("python3", ["-c", script], kek, standardInput: tampered);
        Assert.NotEqual(0, caught.ExitCode);
        Assert.Contains("record 1 was altered", caught.StandardError, StringComparison.Ordinal);
        var otherKek = new Dictionary<string, string?> { ["VOUCH_KEY_ENCRYPTION_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        var wrongKey = await ProcessRunner.RunAsync("python3", ["-c", script], otherKek, standardInput: json.StandardOutput);
        Assert.NotEqual(0, wrongKey.ExitCode);
    }

    [Fact]
    public async Task Audit_head_anchors_the_log_and_verify_expect_head_refuses_it_once_rewritten_even_with_the_right_key()
    {
        await CreateDevelopmentDatabaseAsync();
        var head = await RunAsync(null, "audit", "head", "--development");
        Assert.Equal(0, (await RunAsync(null, "invite", "--email", "alice@example.com", "--development")).ExitCode);
        var kept = head.StandardOutput.Trim();

        var untouched = await RunAsync(null, "audit", "verify", "--development", "--expect-head", kept);
        await RewriteFirstRecordWithTheRightKeyAsync();
        var plain = await RunAsync(null, "audit", "verify", "--development");
        var anchored = await RunAsync(null, "audit", "verify", "--development", "--expect-head", kept);

        Assert.Equal(0, head.ExitCode);
        Assert.Matches("^2:[0-9a-f]{64}$", kept);
        Assert.Contains("audit verify --expect-head " + kept, head.StandardError, StringComparison.Ordinal);
        Assert.Equal(0, untouched.ExitCode);
        Assert.Contains("passes through the expected head " + kept, untouched.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(0, plain.ExitCode);
        Assert.Equal(1, anchored.ExitCode);
        Assert.Contains("BROKEN at record 2", anchored.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("not the expected head", anchored.StandardOutput, StringComparison.Ordinal);
    }

    /// <summary>Someone who holds the key-encryption key rewrites record 1 and recomputes the whole keyed chain.</summary>
    private async Task RewriteFirstRecordWithTheRightKeyAsync()
    {
        using var kek = new KeyEncryptionKey(Convert.FromBase64String(DevelopmentKek));
        using var key = new Vouch.Server.Audit.AuditKey(kek);
        var factory = new Vouch.Server.Persistence.VouchDbContextFactory(Vouch.Server.Persistence.DatabaseSettings.Parse(_directory.File("vouch.db")));
        await using (var db = factory.CreateDbContext())
        {
            var previous = Vouch.Server.Audit.AuditHash.Genesis;
            foreach (var r in db.AuditRecords.OrderBy(r => r.Sequence).ToList())
            {
                var actor = r.Sequence == 1 ? "mallory" : r.Actor;
                var hash = Vouch.Server.Audit.AuditHash.ComputeKeyed(key, r.Sequence, r.Time, r.Type, actor, r.ClientAddress, r.Data, previous);
                await db.Database.ExecuteSqlAsync($"UPDATE audit_log SET actor = {actor}, previous_hash = {previous}, hash = {hash} WHERE sequence = {r.Sequence}");
                previous = hash;
            }
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task Audit_verify_without_the_key_encryption_key_says_it_needs_it()
    {
        await CreateDevelopmentDatabaseAsync();

        var verify = await RunAsync(null, "audit", "verify");

        Assert.Equal(3, verify.ExitCode);
        Assert.Contains("needs the server's key-encryption key to verify the audit log", verify.StandardError, StringComparison.Ordinal);
        Assert.Contains("VOUCH_KEY_ENCRYPTION_KEY", verify.StandardError, StringComparison.Ordinal);
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
    public async Task Under_umask_000_the_sqlite_files_are_created_owner_only_in_one_step_and_never_chmod_ed()
    {
        // strace records every file the server creates and every mode change; umask 000 leaves nothing to chance.
        var data = _directory.File("data");
        var trace = _directory.File("strace.log");
        var issuer = $"http://127.0.0.1:{FreePort.Next()}";
        using var strace = ProcessRunner.Start("strace",
            ["-f", "-qq", "-y", "-e", "trace=open,openat,creat,mkdir,mkdirat,chmod,fchmod,fchmodat", "-o", trace,
             "bash", "-c", "umask 000; exec \"$0\" \"$@\"", RepositoryPaths.ServerBinary,
             "serve", "--issuer", issuer, "--development", "--database", Path.Combine(data, "vouch.db")],
            workingDirectory: _directory.Path);
        var stderr = strace.StandardError.ReadToEndAsync();
        Dictionary<string, UnixFileMode> running;
        try
        {
            await WaitHealthyAsync(issuer, strace);
            running = Directory.GetFiles(data).ToDictionary(f => Path.GetFileName(f), File.GetUnixFileMode);
        }
        finally
        {
            // The server is strace's child (bash exec-ed it); SIGTERM to strace would only detach it.
            var child = int.Parse(File.ReadAllText($"/proc/{strace.Id}/task/{strace.Id}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], System.Globalization.CultureInfo.InvariantCulture);
            ProcessRunner.Terminate(child);
            await strace.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        var lines = await File.ReadAllLinesAsync(trace);
        Assert.True(lines.Length > 0, await stderr);

        var ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(["vouch.db", "vouch.db-shm", "vouch.db-wal", "vouch.db.kek"], running.Keys.Order(StringComparer.Ordinal));
        Assert.All(running, file => Assert.True(file.Value == ownerOnly, $"{file.Key} is {file.Value}"));
        Assert.Equal(ownerOnly | UnixFileMode.UserExecute, File.GetUnixFileMode(data));
        // The first open that may create each file (the one that did) asks for 0600 itself.
        var creates = lines.Select(l => CreatingOpen().Match(l)).Where(m => m.Success && m.Groups["path"].Value.StartsWith(data + "/", StringComparison.Ordinal)).ToList();
        var first = creates.GroupBy(m => m.Groups["path"].Value).ToDictionary(g => Path.GetFileName(g.Key), g => g.First().Groups["mode"].Value);
        Assert.Contains("vouch.db-journal", first.Keys);
        Assert.All(first, create => Assert.True(create.Value == "0600", $"{create.Key} was created {create.Value}"));
        Assert.Contains(lines, l => l.Contains($"\"{data}\", 0700", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("chmod", StringComparison.Ordinal) && l.Contains(data, StringComparison.Ordinal));
    }

    private static async Task WaitHealthyAsync(string issuer, System.Diagnostics.Process process)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var deadline = DateTime.UtcNow.AddSeconds(90); DateTime.UtcNow < deadline; await Task.Delay(200))
        {
            Assert.False(process.HasExited, "the server exited");
            try
            {
                using var response = await client.GetAsync(issuer + "/healthz");
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Not answering yet.
            }
        }
        throw new TimeoutException("the server did not become healthy in 90 s");
    }

    /// <summary>An <c>open</c>, <c>openat</c> or <c>creat</c> call in strace's log that creates when the file is missing, with its path and mode.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"\b(?:open|openat|creat)\((?:[^,]*, )?""(?<path>[^""]+)"", (?<flags>[A-Z_|]*O_CREAT[A-Z_|]*), (?<mode>0[0-7]+)")]
    private static partial System.Text.RegularExpressions.Regex CreatingOpen();

    [Fact]
    public async Task Admin_commands_on_a_database_that_does_not_exist_say_so()
    {
        var result = await RunAsync(null, "keys", "list", "--database", _directory.File("absent.db"));

        Assert.Equal(4, result.ExitCode);
        Assert.Contains("does not exist", result.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(_directory.File("absent.db")));
    }
}

/// <summary>Several server processes sharing one real PostgreSQL database, as behind a load balancer.</summary>
[Collection(PostgresTests.Name)]
public sealed class MultiInstanceProcessTests(PostgresFixture postgres) : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Instances_on_one_postgres_database_publish_the_same_keys_in_the_same_order()
    {
        var environment = new Dictionary<string, string?>
        {
            ["VOUCH_DATABASE"] = await postgres.Server.CreateDatabaseAsync(),
            ["VOUCH_KEY_ENCRYPTION_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };

        // Started together, so that both race to create the first keys.
        var starts = await Task.WhenAll(
            ServerProcess.StartAsync(_directory.Path, [], environment),
            ServerProcess.StartAsync(_directory.Path, [], environment));
        await using var a = starts[0];
        await using var b = starts[1];

        using var client = new HttpClient();
        var jwksA = await client.GetStringAsync(a.Issuer + "/.well-known/jwks.json");
        var jwksB = await client.GetStringAsync(b.Issuer + "/.well-known/jwks.json");
        Assert.Equal(jwksA, jwksB);
        Assert.Equal(2, JsonDocument.Parse(jwksA).RootElement.GetProperty("keys").GetArrayLength());
    }
}
