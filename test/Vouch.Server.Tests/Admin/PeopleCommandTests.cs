using System.Collections;
using System.Text.Json;
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
        Assert.Contains($"Enroll in a browser: https://vouch.example.com/enroll?code={code}\n", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invite_with_link_prints_the_enroll_link_alone_on_stdout()
    {
        var (exit, output, error) = await RunAsync("invite", "--email", "carol@example.com", "--link", "--issuer", "https://vouch.example.com/idp");

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Matches("^https://vouch\\.example\\.com/idp/enroll\\?code=vi_[A-Za-z0-9_-]+\n$", output);
        Assert.DoesNotContain("Enroll in a browser", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invite_with_link_but_no_issuer_is_refused_before_any_invite_is_made()
    {
        var (exit, output, error) = await RunAsync("invite", "--email", "carol@example.com", "--link");
        var (_, invites, _) = await RunAsync("invites", "list", "--json");

        Assert.Equal(ExitCodes.BadConfiguration, exit);
        Assert.Equal("", output);
        Assert.Contains("--link needs the issuer", error, StringComparison.Ordinal);
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
}
