using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Vouch.Server.Secrets;
using Vouch.Server.Keys;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Process;

// The audit log from the command line: verification, kept heads, the docs' script.
public sealed partial class ServerProcessTests
{
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
}
