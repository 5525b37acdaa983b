using System.Collections;
using System.Text.Json;
using Vouch.Server.Secrets;
using Vouch.Server.Admin;
using Vouch.Server.Audit;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Admin;

/// <summary>
/// <c>vouch-server users promote|demote</c>, the administrator column of <c>users list|show</c> and the enroll link of
/// <c>invite</c>, run in process on a database where Alice (the first user) and Bob enrolled through an in-process
/// server, stopped before the commands run.
/// </summary>
public sealed class PeopleCommandTests : IAsyncLifetime
{
    private readonly EnrolledDatabase _database = new();

    public Task InitializeAsync() => _database.EnrollAsync(async server =>
    {
        using var alice = new ApiUser(server);
        using var bob = new ApiUser(server, "bob@example.com");
        await alice.EnrollAsync();
        await bob.EnrollAsync();
    });

    public Task DisposeAsync()
    {
        _database.Dispose();
        return Task.CompletedTask;
    }

    private async Task<(int Exit, string Out, string Error)> RunAsync(params string[] arguments)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var environment = new Hashtable { ["VOUCH_KEY_ENCRYPTION_KEY"] = _database.KeyEncryptionKeyBase64 };
        var exit = await ServerCommandLine.InvokeAsync([.. arguments, "--database", _database.File], new CommandContext(output, error, environment));
        return (exit, output.ToString(), error.ToString());
    }

    private async Task<Dictionary<string, bool>> AdministratorsAsync()
    {
        var (exit, output, error) = await RunAsync("users", "list", "--json");
        Assert.True(exit == ExitCodes.Ok, error);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .ToDictionary(u => u.GetProperty("email").GetString()!, u => u.GetProperty("is_admin").GetBoolean());
    }

    [Fact]
    public async Task Users_promote_and_demote_change_who_is_an_administrator_as_users_list_and_show_print_it()
    {
        var before = await AdministratorsAsync();
        var promoted = await RunAsync("users", "promote", "Bob@Example.com");
        var demoted = await RunAsync("users", "demote", "alice@example.com");
        var table = await RunAsync("users", "list");
        var shown = await RunAsync("users", "show", "bob@example.com");
        var audit = await RunAsync("audit", "--json");

        Assert.Equal(new Dictionary<string, bool> { ["alice@example.com"] = true, ["bob@example.com"] = false }, before);
        Assert.Equal((ExitCodes.Ok, "promoted bob@example.com; they can use the web console at /admin\n"), (promoted.Exit, promoted.Out));
        Assert.Equal(ExitCodes.Ok, demoted.Exit);
        Assert.Equal(new Dictionary<string, bool> { ["alice@example.com"] = false, ["bob@example.com"] = true }, await AdministratorsAsync());
        var lines = table.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var column = lines[0].IndexOf("ADMIN", StringComparison.Ordinal);
        Assert.Equal(["no", "yes"], lines.Skip(1).Select(l => l[column..].Trim()));
        Assert.Contains("admin       yes", shown.Out, StringComparison.Ordinal);
        var records = audit.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["user.promoted", "user.demoted"], records.Select(r => r.GetProperty("type").GetString()).Where(t => t!.StartsWith("user.", StringComparison.Ordinal)));
        Assert.All(records.Where(r => r.GetProperty("type").GetString()!.StartsWith("user.", StringComparison.Ordinal)),
            r => Assert.Equal(AuditActors.Admin, r.GetProperty("actor").GetString()));
    }

    [Fact]
    public async Task Demoting_the_last_administrator_is_refused_and_changes_nothing()
    {
        var (exit, output, error) = await RunAsync("users", "demote", "alice@example.com");

        Assert.Equal(ExitCodes.Failed, exit);
        Assert.Equal("", output);
        Assert.Equal("vouch-server: alice@example.com is the last administrator; promote another user first\n", error);
        Assert.True((await AdministratorsAsync())["alice@example.com"]);
    }

    [Fact]
    public async Task Disabling_the_last_enabled_administrator_is_refused_and_changes_nothing()
    {
        var (exit, output, error) = await RunAsync("users", "disable", "alice@example.com");

        Assert.Equal(ExitCodes.Failed, exit);
        Assert.Equal("", output);
        Assert.Equal("vouch-server: alice@example.com is the last administrator; promote another user first\n", error);
        Assert.Contains("state       active\n", (await RunAsync("users", "show", "alice@example.com")).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demoting_the_last_enabled_administrator_is_refused_while_a_disabled_one_remains()
    {
        Assert.Equal(ExitCodes.Ok, (await RunAsync("users", "promote", "bob@example.com")).Exit);
        Assert.Equal(ExitCodes.Ok, (await RunAsync("users", "disable", "alice@example.com")).Exit);

        var demoted = await RunAsync("users", "demote", "bob@example.com");
        var disabled = await RunAsync("users", "disable", "bob@example.com");

        Assert.Equal((ExitCodes.Failed, "vouch-server: bob@example.com is the last administrator; promote another user first\n"), (demoted.Exit, demoted.Error));
        Assert.Equal((ExitCodes.Failed, "vouch-server: bob@example.com is the last administrator; promote another user first\n"), (disabled.Exit, disabled.Error));
        Assert.True((await AdministratorsAsync())["bob@example.com"]);
    }

    [Fact]
    public async Task Promoting_an_unknown_user_exits_not_found()
    {
        var (exit, _, error) = await RunAsync("users", "promote", "nobody@example.com");

        Assert.Equal(ExitCodes.NotFound, exit);
        Assert.Contains("no user nobody@example.com", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invite_prints_the_code_alone_on_stdout_and_the_enroll_link_on_stderr()
    {
        var (exit, output, error) = await RunAsync("invite", "--email", "carol@example.com", "--issuer", "https://vouch.example.com");

        Assert.Equal(ExitCodes.Ok, exit);
        var code = output.TrimEnd('\n');
        Assert.Matches("^vi_[A-Za-z0-9_-]+$", code);
        Assert.Contains($"Enroll in a browser: https://vouch.example.com/enroll#code={code}\n", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invite_with_link_prints_the_enroll_link_alone_on_stdout()
    {
        var (exit, output, error) = await RunAsync("invite", "--email", "carol@example.com", "--link", "--issuer", "https://vouch.example.com/idp");

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Matches("^https://vouch\\.example\\.com/idp/enroll#code=vi_[A-Za-z0-9_-]+\n$", output);
        Assert.DoesNotContain("Enroll in a browser", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invite_with_link_but_no_issuer_is_refused_before_any_invite_is_made()
    {
        var (exit, output, error) = await RunAsync("invite", "--email", "carol@example.com", "--link");
        var (_, invites, _) = await RunAsync("invites", "list", "--json");

        Assert.Equal(ExitCodes.BadConfiguration, exit);
        Assert.Equal("", output);
        Assert.Contains("--link needs the issuer: pass --issuer URL or set VOUCH_ISSUER (\"Issuer\" in the config file)\n", error, StringComparison.Ordinal);
        Assert.DoesNotContain("carol@example.com", invites, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invite_with_an_invalid_issuer_is_refused_before_any_invite_is_made()
    {
        var (exit, output, error) = await RunAsync("invite", "--email", "carol@example.com", "--issuer", "http://vouch.example.com");

        Assert.Equal(ExitCodes.BadConfiguration, exit);
        Assert.Equal("", output);
        Assert.Contains("must use https://", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--email", "nobody@example.com", "vouch-server: no user nobody@example.com\n")]
    [InlineData("--id", "00000000-0000-0000-0000-000000000000", "vouch-server: no session has that id\n")]
    public async Task Sessions_revoke_of_an_unknown_user_or_id_says_so_and_exits_not_found(string option, string value, string expected)
    {
        var (exit, output, error) = await RunAsync("sessions", "revoke", option, value);
        var (_, audit, _) = await RunAsync("audit", "--json");

        Assert.Equal((ExitCodes.NotFound, "", expected), (exit, output, error));
        Assert.DoesNotContain("session.revoked", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sessions_revoke_of_a_known_user_without_live_sessions_still_succeeds()
    {
        await RunAsync("sessions", "revoke", "--email", "bob@example.com");

        var (exit, output, error) = await RunAsync("sessions", "revoke", "--email", "Bob@Example.com");

        Assert.Equal((ExitCodes.Ok, "revoked 0 sessions\n", ""), (exit, output, error));
    }

    [Fact]
    public async Task Sessions_revoke_with_a_malformed_id_is_one_usage_line_not_a_crash()
    {
        var (exit, output, error) = await RunAsync("sessions", "revoke", "--id", "not-a-guid");

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Equal("", output);
        Assert.Equal(
            "vouch-server: --id takes an id like 3f2504e0-4f89-41d3-9a0c-0305e82c3301, not 'not-a-guid'\n" +
            "Run 'vouch-server sessions revoke --help' for usage.\n", error);
    }

    [Fact]
    public async Task Audit_verify_with_another_key_encryption_key_says_that_no_record_was_verified()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var other = new Hashtable { ["VOUCH_KEY_ENCRYPTION_KEY"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(KeyEncryptionKey.SizeInBytes)) };

        var exit = await ServerCommandLine.InvokeAsync(["audit", "verify", "--database", _database.File], new CommandContext(output, error, other));

        Assert.Equal(ExitCodes.Failed, exit);
        Assert.StartsWith("audit log BROKEN at record 1: ", output.ToString(), StringComparison.Ordinal);
        Assert.EndsWith("\nno record verified\n", output.ToString(), StringComparison.Ordinal);
    }
}
