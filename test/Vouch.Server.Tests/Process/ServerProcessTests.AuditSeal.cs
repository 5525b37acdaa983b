using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Vouch.Server.Audit;
using Vouch.Server.Persistence;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Process;

// A log that ends in unkeyed records: the server and the admin commands write nothing onto it, both verifiers fail
// it, and only the operator's explicit 'audit seal' (with the head they checked) keys it.
public sealed partial class ServerProcessTests
{
    /// <summary>
    /// Deletes the log and writes back its records as a plain SHA-256 chain (kek_id null), as a version before
    /// keying wrote them, or as someone with the database forges them, leaving out record <paramref name="leftOut"/> (0: none).
    /// Returns the head, SEQ:HASH.
    /// </summary>
    private async Task<string> WriteBackUnkeyedAsync(long leftOut)
    {
        var forged = await AuditForgery.RewriteUnkeyedAsync(new VouchDbContextFactory(DatabaseSettings.Parse(_directory.File("vouch.db"))), leftOut);
        var head = $"{forged.Sequence}:{forged.Hash}";
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        return head;
    }

    /// <summary>Runs the verification script of docs/audit.md on the log, with <paramref name="arguments"/> (the accepted head).</summary>
    private async Task<ProcessResult> RunDocsVerifierAsync(params string[] arguments)
    {
        var json = await RunAsync(null, "audit", "--json");
        var docs = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "docs", "audit.md"));
        var start = docs.IndexOf("```python\n", StringComparison.Ordinal) + "```python\n".Length;
        var script = docs[start..docs.IndexOf("```", start, StringComparison.Ordinal)];
        var kek = new Dictionary<string, string?> { ["VOUCH_KEY_ENCRYPTION_KEY"] = DevelopmentKek };
        return await ProcessRunner.RunAsync("python3", ["-c", script, .. arguments], kek, standardInput: json.StandardOutput);
    }

    private async Task<int> AuditRecordCountAsync() =>
        (await RunAsync(null, "audit", "--json")).StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

    [Fact]
    public async Task A_log_re_rooted_on_a_plain_sha256_history_stops_the_server_and_admin_commands_and_fails_both_verifiers()
    {
        await CreateDevelopmentDatabaseAsync();
        Assert.Equal(0, (await RunAsync(null, "invite", "--email", "alice@example.com", "--development")).ExitCode);
        // The attack of the security review (H2): the invite.created record is left out of a history anyone can compute.
        var forged = await WriteBackUnkeyedAsync(leftOut: 3);
        var verifyBefore = await RunAsync(null, "audit", "verify", "--development");
        var scriptBefore = await RunDocsVerifierAsync();

        // One ordinary event: an admin command, and the server itself (which would issue tokens). Both refuse.
        var invite = await RunAsync(null, "invite", "--email", "bob@example.com", "--development");
        var serve = await RunAsync(null, "serve", "--development", "--issuer", $"http://127.0.0.1:{FreePort.Next()}");

        var verifyAfter = await RunAsync(null, "audit", "verify", "--development");
        var scriptAfter = await RunDocsVerifierAsync();
        var scriptAccepting = await RunDocsVerifierAsync(forged);
        Assert.Equal(3, invite.ExitCode);
        Assert.Contains($"audit seal --expect-unkeyed-head {forged}", invite.StandardError, StringComparison.Ordinal);
        Assert.Equal(3, serve.ExitCode);
        Assert.Single(serve.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => line.Contains("unkeyed records", StringComparison.Ordinal));
        Assert.Equal(2, await AuditRecordCountAsync());
        foreach (var verify in new[] { verifyBefore, verifyAfter })
        {
            Assert.Equal(1, verify.ExitCode);
            Assert.Contains("no record is keyed", verify.StandardOutput, StringComparison.Ordinal);
        }
        foreach (var script in new[] { scriptBefore, scriptAfter, scriptAccepting })
        {
            Assert.NotEqual(0, script.ExitCode);
            Assert.Contains("no record is keyed", script.StandardError, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_old_unkeyed_database_is_sealed_once_with_its_head_and_then_verifies_only_with_that_head_accepted()
    {
        await CreateDevelopmentDatabaseAsync();
        var head = await WriteBackUnkeyedAsync(leftOut: 0);
        var wrong = "1:" + head.Split(':')[1];

        var refused = await RunAsync(null, "audit", "seal", "--development", "--expect-unkeyed-head", wrong);
        var countAfterRefusal = await AuditRecordCountAsync();
        var seal = await RunAsync(null, "audit", "seal", "--development", "--expect-unkeyed-head", head);
        var again = await RunAsync(null, "audit", "seal", "--development", "--expect-unkeyed-head", head);
        var unaccepted = await RunAsync(null, "audit", "verify", "--development");
        var accepted = await RunAsync(null, "audit", "verify", "--development", "--accept-unkeyed-head", head);
        var scriptUnaccepted = await RunDocsVerifierAsync();
        var scriptAccepted = await RunDocsVerifierAsync(head);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("nothing was written", refused.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, countAfterRefusal);
        Assert.Equal(0, seal.ExitCode);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already keyed", again.StandardError, StringComparison.Ordinal);
        Assert.Equal(1, unaccepted.ExitCode);
        Assert.Contains("BROKEN at record 3: records 1..2 are unkeyed", unaccepted.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(0, accepted.ExitCode);
        Assert.StartsWith("audit log intact: 3 records (keyed from record 3;", accepted.StandardOutput, StringComparison.Ordinal);
        Assert.NotEqual(0, scriptUnaccepted.ExitCode);
        Assert.Contains("records 1..2 are unkeyed", scriptUnaccepted.StandardError, StringComparison.Ordinal);
        Assert.True(scriptAccepted.ExitCode == 0, scriptAccepted.StandardError);
        Assert.Equal("intact, head " + accepted.StandardOutput.Split(" head ")[1].Trim(), scriptAccepted.StandardOutput.Trim());
        var sealRecord = JsonDocument.Parse((await RunAsync(null, "audit", "--json")).StandardOutput.Split('\n')[2]).RootElement;
        Assert.Equal("audit.keyed", sealRecord.GetProperty("type").GetString());

        // Sealed, the server starts again and the log grows keyed.
        await CreateDevelopmentDatabaseAsync();
        Assert.Equal(0, (await RunAsync(null, "invite", "--email", "alice@example.com", "--development")).ExitCode);
        Assert.Equal(0, (await RunAsync(null, "audit", "verify", "--development", "--accept-unkeyed-head", head)).ExitCode);
    }
}
