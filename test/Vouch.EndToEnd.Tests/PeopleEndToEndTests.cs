using System.Text.Json;
using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests;

/// <summary>One server and moto (as STS) for the people tests; each test uses its own users.</summary>
public sealed class PeopleWorld : IAsyncLifetime
{
    public VouchWorld Vouch { get; private set; } = null!;
    public MotoServer Moto { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Moto = await MotoServer.StartAsync();
        Vouch = await VouchWorld.StartAsync();
        // Root enrolls first and is the administrator, so every test's user is an ordinary one that can be disabled
        // (the last enabled administrator cannot be), whatever order the tests run in.
        using var root = new CliSandbox();
        await Vouch.EnrollAndLoginAsync(root, "root@example.com");
    }

    public async Task DisposeAsync()
    {
        if (Vouch is not null) await Vouch.DisposeAsync();
        if (Moto is not null) await Moto.DisposeAsync();
    }
}

/// <summary>
/// People join, add a spare key, lose one and leave, with the published binaries: the administrator's commands
/// take effect on what the user's CLI and agent can do.
/// </summary>
public sealed class PeopleEndToEndTests(PeopleWorld world) : IClassFixture<PeopleWorld>
{
    private const string Role = "arn:aws:iam::123456789012:role/VouchDeveloper";
    private const string DisabledMessage = "your Vouch account is disabled; ask your administrator";

    /// <summary>Runs <c>vouch</c> for <paramref name="user"/> with moto as its STS.</summary>
    private Task<ProcessResult> VouchAsync(CliSandbox user, params string[] arguments)
    {
        var environment = user.Environment();
        environment["AWS_ENDPOINT_URL"] = world.Moto.Endpoint;
        environment["AWS_CONFIG_FILE"] = "/dev/null";
        environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null";
        return ProcessRunner.RunAsync(CliSandbox.Binary, arguments, environment, user.Home, TimeSpan.FromSeconds(60), standardInput: "");
    }

    private async Task<ProcessResult> AdminAsync(params string[] arguments) =>
        (await world.Vouch.AdminAsync(arguments)).AssertServerCommandSucceeded(arguments);

    private async Task<List<JsonElement>> KeysOfAsync(string email) =>
        (await AdminAsync("credentials", "list", "--email", email, "--json")).StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())
            .OrderBy(k => k.GetProperty("added_at").GetDateTimeOffset()).ToList();

    [Fact]
    public async Task A_spare_key_logs_in_and_after_the_first_key_is_revoked_only_the_spare_does()
    {
        using var laptop = new CliSandbox();
        using var drawer = new CliSandbox();
        await world.Vouch.EnrollAndLoginAsync(laptop, "carol@example.com");
        // A second invite for an existing user adds a key; the spare lives in another authenticator.
        await world.Vouch.EnrollAndLoginAsync(drawer, "carol@example.com");
        var keys = await KeysOfAsync("carol@example.com");

        await AdminAsync("credentials", "revoke", keys[0].GetProperty("id").GetString()!);
        var laptopToken = await VouchAsync(laptop, "credential", "token");
        var laptopLogin = await VouchAsync(laptop, "login");
        var drawerLogin = await VouchAsync(drawer, "login");
        var drawerToken = await VouchAsync(drawer, "credential", "token");

        Assert.Equal(2, keys.Count);
        // Revoking a key ends the sessions it opened, and it cannot open new ones.
        Assert.Equal(3, laptopToken.ExitCode);
        Assert.NotEqual(0, laptopLogin.ExitCode);
        Assert.True(drawerLogin.ExitCode == 0, drawerLogin.StandardError);
        Assert.True(drawerToken.ExitCode == 0, drawerToken.StandardError);
    }

    [Fact]
    public async Task A_disabled_users_agent_is_refused_tokens_and_cached_aws_credentials_within_a_second()
    {
        using var dave = new CliSandbox();
        await world.Vouch.EnrollAndLoginAsync(dave, "dave@example.com");
        var cached = await VouchAsync(dave, "credential", "aws", "--role", Role);
        Assert.True(cached.ExitCode == 0, cached.StandardError);

        await AdminAsync("users", "disable", "dave@example.com");
        var token = await VouchAsync(dave, "credential", "token");
        // The agent confirms its session with the server at least once a second before serving from its cache.
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        var aws = await VouchAsync(dave, "credential", "aws", "--role", Role);

        Assert.Equal(8, token.ExitCode);
        Assert.Contains(DisabledMessage, token.StandardError, StringComparison.Ordinal);
        Assert.Equal(8, aws.ExitCode);
        Assert.Contains(DisabledMessage, aws.StandardError, StringComparison.Ordinal);
        Assert.Empty(aws.StandardOutput);
    }

    [Fact]
    public async Task Enabling_a_user_again_restores_login_but_not_the_old_sessions()
    {
        using var erin = new CliSandbox();
        await world.Vouch.EnrollAndLoginAsync(erin, "erin@example.com");
        await AdminAsync("users", "disable", "erin@example.com");
        var refusedLogin = await VouchAsync(erin, "login");

        await AdminAsync("users", "enable", "erin@example.com");
        var oldSession = await VouchAsync(erin, "credential", "token");
        var login = await VouchAsync(erin, "login");
        var token = await VouchAsync(erin, "credential", "token");

        Assert.Equal(8, refusedLogin.ExitCode);
        Assert.Contains(DisabledMessage, refusedLogin.StandardError, StringComparison.Ordinal);
        Assert.NotEqual(0, oldSession.ExitCode);
        Assert.True(login.ExitCode == 0, login.StandardError);
        Assert.True(token.ExitCode == 0, token.StandardError);
    }
}
