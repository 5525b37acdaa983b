using System.Text.Json;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Process;

/// <summary>
/// <c>vouch-server users</c>, <c>credentials</c> and <c>invites</c> from the published binary, on a database where
/// Alice enrolled two keys and logged in with one (through an in-process server, stopped before the commands run).
/// </summary>
public sealed class PeopleProcessTests : IAsyncLifetime
{
    private readonly EnrolledDatabase _database = new();
    private string _spareKeyId = "";

    public Task InitializeAsync() => _database.EnrollAsync(async server =>
    {
        using var alice = new ApiUser(server);
        using var spare = new ApiUser(server, alice.Email);
        await alice.EnrollAndLoginAsync();
        await spare.EnrollAsync();
        _spareKeyId = Convert.ToHexStringLower(spare.Key.CredentialId);
    });

    public Task DisposeAsync()
    {
        _database.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Runs an admin command with the server's key-encryption key, as writing to the audit log needs.</summary>
    private Task<ProcessResult> RunAsync(params string[] arguments) =>
        RunAsync(new Dictionary<string, string?> { ["VOUCH_KEY_ENCRYPTION_KEY"] = _database.KeyEncryptionKeyBase64 }, arguments);

    private Task<ProcessResult> RunAsync(IDictionary<string, string?>? environment, params string[] arguments) =>
        ProcessRunner.RunAsync(RepositoryPaths.ServerBinary, arguments, environment, _database.Directory, TimeSpan.FromSeconds(60));

    private static List<JsonElement> JsonLines(ProcessResult result)
    {
        Assert.True(result.ExitCode == 0, result.StandardError);
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }

    [Fact]
    public async Task Users_list_and_show_print_aligned_tables_and_json_that_parses()
    {
        var table = await RunAsync("users", "list");
        var list = JsonLines(await RunAsync("users", "list", "--json"));
        var show = JsonLines(await RunAsync("users", "show", "alice@example.com", "--json")).Single();
        var shown = await RunAsync("users", "show", "Alice@Example.com");

        Assert.Equal(0, table.ExitCode);
        var lines = table.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal('2', lines[1][lines[0].IndexOf("KEYS", StringComparison.Ordinal)]);
        var user = Assert.Single(list);
        Assert.Equal("alice@example.com", user.GetProperty("email").GetString());
        Assert.Equal(2, user.GetProperty("keys").GetInt32());
        Assert.Equal(2, show.GetProperty("keys").GetArrayLength());
        Assert.Single(show.GetProperty("sessions").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, show.GetProperty("user").GetProperty("disabled_at").ValueKind);
        Assert.Contains(_spareKeyId, shown.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("state       active", shown.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_id_from_credentials_list_is_accepted_by_revoke_and_the_revocation_is_audited_with_the_admin()
    {
        var before = JsonLines(await RunAsync("credentials", "list", "--email", "alice@example.com", "--json"));

        var revoke = await RunAsync("credentials", "revoke", _spareKeyId);

        Assert.Contains(_spareKeyId, before.Select(k => k.GetProperty("id").GetString()));
        Assert.True(revoke.ExitCode == 0, revoke.StandardError);
        Assert.StartsWith($"revoked credential {_spareKeyId} of alice@example.com", revoke.StandardOutput, StringComparison.Ordinal);
        var after = JsonLines(await RunAsync("credentials", "list", "--json"));
        Assert.NotEqual(JsonValueKind.Null, after.Single(k => k.GetProperty("id").GetString() == _spareKeyId).GetProperty("revoked_at").ValueKind);
        var audit = JsonLines(await RunAsync("audit", "--json")).Last();
        Assert.Equal("credential.revoked", audit.GetProperty("type").GetString());
        Assert.Equal("admin:" + Environment.UserName, audit.GetProperty("actor").GetString());
    }

    [Fact]
    public async Task A_locked_key_shows_in_credentials_list_and_unlock_takes_the_listed_id_audited_with_the_admin()
    {
        string bobKeyId;
        await using (var server = await _database.StartServerAsync())
        {
            using var bob = new ApiUser(server, "bob@example.com");
            await bob.EnrollAndLoginAsync();
            bob.Key.Counter = 0;
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await bob.LoginAsync()).Status);
            bobKeyId = Convert.ToHexStringLower(bob.Key.CredentialId);
        }

        var table = await RunAsync("credentials", "list", "--email", "bob@example.com");
        var locked = JsonLines(await RunAsync("credentials", "list", "--email", "bob@example.com", "--json")).Single();
        var unlock = await RunAsync("credentials", "unlock", bobKeyId);
        var again = await RunAsync("credentials", "unlock", bobKeyId);

        var lines = table.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith("LOCKED", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"\d{4}-\d{2}-\d{2}", lines[1][lines[0].IndexOf("LOCKED", StringComparison.Ordinal)..]);
        Assert.Equal(bobKeyId, locked.GetProperty("id").GetString());
        Assert.NotEqual(JsonValueKind.Null, locked.GetProperty("locked_at").ValueKind);
        Assert.True(unlock.ExitCode == 0, unlock.StandardError);
        Assert.Equal($"unlocked credential {bobKeyId} of bob@example.com\n", unlock.StandardOutput);
        Assert.Equal($"credential {bobKeyId} of bob@example.com is not locked\n", again.StandardOutput);
        var unlocked = JsonLines(await RunAsync("credentials", "list", "--email", "bob@example.com", "--json")).Single();
        Assert.Equal(JsonValueKind.Null, unlocked.GetProperty("locked_at").ValueKind);
        var audit = JsonLines(await RunAsync("audit", "--json"));
        var clone = audit.Single(r => r.GetProperty("type").GetString() == "credential.clone_suspected");
        Assert.Equal(bobKeyId, JsonDocument.Parse(clone.GetProperty("data").GetString()!).RootElement.GetProperty("credential_id").GetString());
        var unlocking = audit.Last();
        Assert.Equal("credential.unlocked", unlocking.GetProperty("type").GetString());
        Assert.Equal("admin:" + Environment.UserName, unlocking.GetProperty("actor").GetString());
    }

    [Fact]
    public async Task Disable_and_enable_change_the_state_users_show_reports()
    {
        // Bob becomes an administrator first: Alice, the last enabled one, could not be disabled.
        await using (var server = await _database.StartServerAsync())
        {
            using var bob = new ApiUser(server, "bob@example.com");
            await bob.EnrollAsync();
        }
        Assert.Equal(0, (await RunAsync("users", "promote", "bob@example.com")).ExitCode);
        var disable = await RunAsync("users", "disable", "alice@example.com");
        var disabled = JsonLines(await RunAsync("users", "list", "--json")).Single(u => u.GetProperty("email").GetString() == "alice@example.com");
        var enable = await RunAsync("users", "enable", "alice@example.com");
        var again = await RunAsync("users", "enable", "alice@example.com");

        Assert.Equal("disabled alice@example.com; revoked 1 session\n", disable.StandardOutput);
        Assert.Equal("admin:" + Environment.UserName, disabled.GetProperty("disabled_by").GetString());
        Assert.Equal(0, enable.ExitCode);
        Assert.Equal("alice@example.com is already enabled\n", again.StandardOutput);
    }

    [Fact]
    public async Task A_command_that_writes_to_the_audit_log_without_the_key_encryption_key_says_so_and_changes_nothing()
    {
        var disable = await RunAsync(environment: null, "users", "disable", "alice@example.com");
        var list = await RunAsync(environment: null, "users", "list", "--json");

        Assert.Equal(3, disable.ExitCode);
        Assert.Contains("needs the server's key-encryption key to write to the audit log", disable.StandardError, StringComparison.Ordinal);
        Assert.Contains("VOUCH_KEY_ENCRYPTION_KEY", disable.StandardError, StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, JsonLines(list).Single().GetProperty("disabled_by").ValueKind);
    }

    [Fact]
    public async Task Invites_list_shows_states_never_codes_and_revoke_takes_the_listed_id()
    {
        var invite = await RunAsync("invite", "--email", "alice@example.com");
        var code = invite.StandardOutput.Trim();
        var listed = JsonLines(await RunAsync("invites", "list", "--json"));
        var pending = listed.Single(i => i.GetProperty("state").GetString() == "pending");

        var revoke = await RunAsync("invites", "revoke", pending.GetProperty("id").GetString()!);

        Assert.Contains("adds a key to the existing user", invite.StandardError, StringComparison.Ordinal);
        Assert.Equal(["used", "used", "pending"], listed.Select(i => i.GetProperty("state").GetString()));
        Assert.Equal(0, revoke.ExitCode);
        var table = await RunAsync("invites", "list");
        Assert.DoesNotContain(code, table.StandardOutput + string.Join("", listed), StringComparison.Ordinal);
        Assert.EndsWith(" revoked", table.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(5, "users", "show", "nobody@example.com")]
    [InlineData(5, "users", "disable", "nobody@example.com")]
    [InlineData(5, "users", "enable", "nobody@example.com")]
    [InlineData(2, "users", "show", "not-an-email")]
    [InlineData(5, "credentials", "list", "--email", "nobody@example.com")]
    [InlineData(5, "credentials", "revoke", "00ff00ff")]
    [InlineData(2, "credentials", "revoke", "00FF00FF")]
    [InlineData(2, "credentials", "revoke", "not-hex")]
    [InlineData(5, "invites", "revoke", "00000000-0000-0000-0000-000000000001")]
    [InlineData(2, "invites", "revoke", "not-an-id")]
    public async Task What_does_not_exist_or_is_malformed_gets_one_line_and_its_exit_code(int exitCode, params string[] arguments)
    {
        var result = await RunAsync(arguments);

        Assert.Equal(exitCode, result.ExitCode);
        Assert.Empty(result.StandardOutput);
        var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("vouch-server: ", line, StringComparison.Ordinal);
        Assert.Contains(arguments[^1], line, StringComparison.Ordinal);
    }
}
