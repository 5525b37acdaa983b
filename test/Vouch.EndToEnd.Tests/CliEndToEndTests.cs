using System.Text.Json;
using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests;

/// <summary>
/// The published <c>vouch</c> and <c>vouch-server</c> binaries, the software authenticator and jose, on each
/// database: enroll, log in, get tokens, and every refusal a user can meet.
/// </summary>
public abstract class CliEndToEndTests : IAsyncLifetime
{
    private const string Alice = "alice@example.com";
    protected CliSandbox User { get; } = new();
    protected VouchWorld World { get; private set; } = null!;

    /// <summary>The server's settings beyond its key-encryption key: where its database is.</summary>
    protected abstract Task<Dictionary<string, string?>> ServerSettingsAsync();

    public async Task InitializeAsync() => World = await VouchWorld.StartAsync(await ServerSettingsAsync());

    public async Task DisposeAsync()
    {
        User.Dispose();
        if (World is not null) await World.DisposeAsync();
    }

    private Task EnrollAndLoginAsync() => World.EnrollAndLoginAsync(User, Alice);

    [Fact]
    public async Task Enrolling_with_the_software_authenticator_warns_that_it_is_for_tests_only()
    {
        var enroll = await User.RunAsync("enroll", "--server", World.Issuer, "--invite", await World.InviteAsync(Alice));

        Assert.True(enroll.ExitCode == 0, enroll.StandardError);
        Assert.Contains("SOFTWARE authenticator", enroll.StandardError, StringComparison.Ordinal);
        Assert.Contains("for tests and demos only", enroll.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enroll_login_and_token_give_an_id_token_that_jose_verifies()
    {
        await EnrollAndLoginAsync();

        var token = await User.RunAsync("credential", "token");

        Assert.Equal(0, token.ExitCode);
        var jwt = token.StandardOutput.TrimEnd('\n');
        Assert.DoesNotContain('\n', jwt);
        var audience = World.Issuer["http://".Length..];
        var verdict = await NodePeers.VerifyJwtAsync(jwt, World.Issuer + "/.well-known/jwks.json", World.Issuer, audience);
        Assert.True(verdict.GetProperty("ok").GetBoolean(), verdict.ToString());
        var payload = verdict.GetProperty("payload");
        Assert.Equal("alice@example.com", payload.GetProperty("sub").GetString());
        Assert.Equal("example.com", payload.GetProperty("hd").GetString());
        // A software key under --attestation any: nothing proven about the key but its possession.
        Assert.Equal("""["pop"]""", payload.GetProperty("amr").GetRawText());
    }

    [Fact]
    public async Task The_agent_serves_many_processes_at_once()
    {
        await EnrollAndLoginAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => User.RunAsync("credential", "token")));

        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.StandardError));
        var jtis = results.Select(r => JsonDocument.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(r.StandardOutput.Trim().Split('.')[1]))
            .RootElement.GetProperty("jti").GetString()).ToHashSet();
        Assert.Equal(20, jtis.Count);
    }

    [Fact]
    public async Task Status_reports_the_session_and_logout_ends_it()
    {
        await EnrollAndLoginAsync();

        var status = await User.RunAsync("status", "--json");
        var logout = await User.RunAsync("logout");
        var after = await User.RunAsync("status", "--json");
        var token = await User.RunAsync("credential", "token");

        Assert.Equal(0, status.ExitCode);
        var view = JsonDocument.Parse(status.StandardOutput).RootElement;
        Assert.True(view.GetProperty("logged_in").GetBoolean());
        Assert.Equal("alice@example.com", view.GetProperty("email").GetString());
        Assert.Equal(World.Issuer, view.GetProperty("server").GetString());
        Assert.InRange(view.GetProperty("expires_at").GetDateTimeOffset() - DateTimeOffset.UtcNow, TimeSpan.FromHours(7.9), TimeSpan.FromHours(8));
        Assert.Equal(0, logout.ExitCode);
        Assert.Equal("Logged out alice@example.com.", logout.StandardError.Trim());
        var audit = await World.AdminAsync("audit", "--json");
        Assert.Contains("\"type\":\"session.revoked\",\"actor\":\"user:alice@example.com\"", audit.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(3, after.ExitCode);
        Assert.False(JsonDocument.Parse(after.StandardOutput).RootElement.GetProperty("logged_in").GetBoolean());
        Assert.Equal(3, token.ExitCode);
        Assert.Empty(token.StandardOutput);
    }

    [Fact]
    public async Task Without_a_session_a_token_request_fails_fast_with_one_actionable_line()
    {
        var token = await User.RunAsync("credential", "token");

        Assert.Equal(3, token.ExitCode);
        Assert.Empty(token.StandardOutput);
        Assert.Equal("vouch: not logged in: run 'vouch login'", token.StandardError.Trim());
    }

    [Fact]
    public async Task A_revoked_session_stops_giving_tokens()
    {
        await EnrollAndLoginAsync();

        var revoke = await World.AdminAsync("sessions", "revoke", "--email", Alice);
        var token = await User.RunAsync("credential", "token");

        Assert.Equal("revoked 1 session", revoke.StandardOutput.Trim());
        Assert.Equal(3, token.ExitCode);
        Assert.Contains("session_revoked", token.StandardError, StringComparison.Ordinal);
        Assert.Contains("vouch login", token.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invite_used_twice_is_refused_by_the_second_enrollment()
    {
        var code = await World.InviteAsync(Alice);
        Assert.Equal(0, (await User.RunAsync("enroll", "--server", World.Issuer, "--invite", code)).ExitCode);

        using var other = new CliSandbox();
        var second = await other.RunAsync("enroll", "--server", World.Issuer, "--invite", code);

        Assert.Equal(8, second.ExitCode);
        Assert.Contains("invalid_invite", second.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_session_or_id_token_is_written_under_home_or_the_runtime_directory()
    {
        await EnrollAndLoginAsync();
        Assert.Equal(0, (await User.RunAsync("credential", "token")).ExitCode);

        Assert.Empty(User.FilesHoldingSecrets());
    }

    [Fact]
    public async Task The_agent_is_the_full_program_beside_the_small_vouch_and_help_and_usage_still_say_vouch()
    {
        await EnrollAndLoginAsync();
        // status on the small client's hot path; help and a usage error through the full program it runs.
        var status = await User.RunAsync("status");
        var help = await User.RunAsync("--help");
        var usage = await User.RunAsync("credential", "aws", "--role", "arn:aws:iam::123456789012:role/VouchDeveloper", "--unknown");
        var agent = int.Parse(File.ReadAllText(User.AgentSocket + ".pid").Trim(), System.Globalization.CultureInfo.InvariantCulture);

        // 'vouch login' started the agent from the full program, vouch-agent, in the directory of vouch.
        Assert.Equal(Path.Combine(Path.GetDirectoryName(CliSandbox.Binary)!, "vouch-agent"), new FileInfo($"/proc/{agent}/exe").LinkTarget);
        Assert.True(status.ExitCode == 0, status.StandardError);
        Assert.StartsWith("Logged in as alice@example.com on ", status.StandardOutput, StringComparison.Ordinal);
        // Help and usage come from the full program, and name the command people type.
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("vouch [command] [options]", help.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("vouch-agent", help.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(2, usage.ExitCode);
        Assert.EndsWith("Run 'vouch --help' for usage.", usage.StandardError.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_agent_socket_is_private_to_its_user()
    {
        await EnrollAndLoginAsync();

        var directory = Path.GetDirectoryName(User.AgentSocket)!;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(User.AgentSocket));
    }

    [Fact]
    public async Task The_agent_refuses_a_connection_from_another_user()
    {
        await EnrollAndLoginAsync();
        // Open the way on purpose, so that only the agent's own SO_PEERCRED check stands between nobody and the session.
        var directory = Path.GetDirectoryName(User.AgentSocket)!;
        foreach (var path in new[] { Path.GetDirectoryName(User.RuntimeDirectory)!, User.RuntimeDirectory, directory, User.AgentSocket })
            File.SetUnixFileMode(path, (UnixFileMode)0x1FF);

        // The agent answers a stranger before reading a byte of the request, so the send may find the door shut.
        var script = "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\ntry:\n  s.sendall(b'{\"op\":\"token\"}\\n')\nexcept BrokenPipeError:\n  pass\nprint(s.makefile().readline())";
        var result = await ProcessRunner.RunAsync("runuser", ["-u", "nobody", "--", "python3", "-c", script, User.AgentSocket]);

        Assert.True(result.ExitCode == 0, result.StandardError);
        var response = JsonDocument.Parse(result.StandardOutput).RootElement;
        Assert.False(response.GetProperty("ok").GetBoolean());
        Assert.Equal("forbidden", response.GetProperty("error").GetString());
        Assert.False(response.TryGetProperty("id_token", out _));
    }
}

public sealed class SqliteCliEndToEndTests : CliEndToEndTests
{
    protected override Task<Dictionary<string, string?>> ServerSettingsAsync() => Task.FromResult(new Dictionary<string, string?>());
}

[Collection(PostgresTests.Name)]
public sealed class PostgresCliEndToEndTests(PostgresFixture postgres) : CliEndToEndTests
{
    protected override async Task<Dictionary<string, string?>> ServerSettingsAsync() => new()
    {
        ["VOUCH_DATABASE"] = await postgres.Server.CreateDatabaseAsync(),
    };
}
