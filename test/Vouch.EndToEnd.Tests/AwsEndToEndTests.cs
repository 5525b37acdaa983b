using System.Globalization;
using System.Text.Json;
using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests;

/// <summary>
/// <c>vouch credential aws</c>, <c>setup aws</c> and <c>exec</c> with the real AWS CLI (botocore's credential_process)
/// against moto's STS, IAM and S3.
/// </summary>
public sealed partial class AwsEndToEndTests : IAsyncLifetime
{
    private const string Role = "arn:aws:iam::123456789012:role/VouchDeveloper";
    private readonly CliSandbox _user = new();
    private VouchWorld _vouch = null!;
    private MotoServer _moto = null!;

    public async Task InitializeAsync()
    {
        _moto = await MotoServer.StartAsync();
        _vouch = await VouchWorld.StartAsync();
    }

    public async Task DisposeAsync()
    {
        _user.Dispose();
        if (_vouch is not null) await _vouch.DisposeAsync();
        if (_moto is not null) await _moto.DisposeAsync();
    }

    private string AwsConfigFile => Path.Combine(_user.Home, ".aws", "config");

    /// <summary>The environment the AWS CLI runs in: moto as every endpoint, no other credentials anywhere.</summary>
    private Dictionary<string, string?> AwsEnvironment()
    {
        var environment = _user.Environment();
        environment["AWS_ENDPOINT_URL"] = _moto.Endpoint;
        environment["AWS_CONFIG_FILE"] = AwsConfigFile;
        environment["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(_user.Home, ".aws", "credentials");
        foreach (var variable in new[] { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION" })
            environment[variable] = null;
        return environment;
    }

    private Task<ProcessResult> VouchAsync(params string[] arguments) =>
        ProcessRunner.RunAsync(CliSandbox.Binary, arguments, AwsEnvironment(), _user.Home, TimeSpan.FromSeconds(60), standardInput: "");

    private Task<ProcessResult> AwsAsync(params string[] arguments) =>
        ProcessRunner.RunAsync("aws", arguments, AwsEnvironment(), _user.Home, TimeSpan.FromSeconds(60));

    private Task LoginAsync() => _vouch.EnrollAndLoginAsync(_user, "alice@example.com");

    private async Task<int> TokensIssuedAsync()
    {
        var audit = await _vouch.AdminAsync("audit", "--json");
        return audit.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Count(l => JsonDocument.Parse(l).RootElement.GetProperty("type").GetString() == "token.issued");
    }

    [Fact]
    public async Task After_setup_aws_the_aws_cli_runs_as_the_assumed_role_of_the_user()
    {
        await LoginAsync();

        var setup = await VouchAsync("setup", "aws", "--role", Role);
        var identity = await AwsAsync("sts", "get-caller-identity", "--profile", "vouch", "--output", "json");
        var s3 = await AwsAsync("s3", "ls", "--profile", "vouch");

        Assert.True(setup.ExitCode == 0, setup.StandardError);
        Assert.True(identity.ExitCode == 0, identity.StandardError);
        Assert.Equal("arn:aws:sts::123456789012:assumed-role/VouchDeveloper/alice@example.com",
            JsonDocument.Parse(identity.StandardOutput).RootElement.GetProperty("Arn").GetString());
        Assert.True(s3.ExitCode == 0, s3.StandardError);
        Assert.Contains($"credential_process = {CliSandbox.Binary} credential aws --role {Role} --format aws-credential-process", File.ReadAllText(AwsConfigFile), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credential_process_output_is_exactly_the_documented_json_and_nothing_else()
    {
        await LoginAsync();

        var result = await VouchAsync("credential", "aws", "--role", Role);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.StandardError);
        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var json = JsonDocument.Parse(Assert.Single(lines)).RootElement;
        Assert.Equal(["Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"], json.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1, json.GetProperty("Version").GetInt32());
        var expiration = DateTimeOffset.ParseExact(json.GetProperty("Expiration").GetString()!, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        Assert.InRange(expiration - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(58), TimeSpan.FromMinutes(61));
    }

    [Fact]
    public async Task Fifty_processes_on_a_cold_cache_make_one_sts_call_and_get_the_same_credentials()
    {
        await LoginAsync();
        var before = await TokensIssuedAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => VouchAsync("credential", "aws", "--role", Role)));

        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.StandardError));
        Assert.Single(results.Select(r => JsonDocument.Parse(r.StandardOutput).RootElement.GetProperty("AccessKeyId").GetString()).Distinct());
        // Every STS call needs a fresh Vouch token, and the server audits each one.
        Assert.Equal(before + 1, await TokensIssuedAsync());
    }

    [Fact]
    public async Task Env_and_json_formats_carry_the_same_credentials()
    {
        await LoginAsync();

        var env = await VouchAsync("credential", "aws", "--role", Role, "--format", "env");
        var json = JsonDocument.Parse((await VouchAsync("credential", "aws", "--role", Role, "--format", "json")).StandardOutput).RootElement;

        var key = json.GetProperty("access_key_id").GetString();
        Assert.Equal(
            [$"export AWS_ACCESS_KEY_ID='{key}'", $"export AWS_SECRET_ACCESS_KEY='{json.GetProperty("secret_access_key").GetString()}'",
             $"export AWS_SESSION_TOKEN='{json.GetProperty("session_token").GetString()}'", "export AWS_REGION='us-east-1'"],
            env.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        // As a shell user runs it: eval "$(vouch credential aws --format env)".
        var evaluated = await ProcessRunner.RunAsync("bash", ["-c", "eval \"$1\" && printf '%s\\n' \"$AWS_ACCESS_KEY_ID\" \"$AWS_SESSION_TOKEN\" \"$AWS_REGION\"", "bash", env.StandardOutput]);
        Assert.Equal([key!, json.GetProperty("session_token").GetString()!, "us-east-1"], evaluated.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(Role, json.GetProperty("role_arn").GetString());
        Assert.Equal("arn:aws:sts::123456789012:assumed-role/VouchDeveloper/alice@example.com", json.GetProperty("assumed_role_arn").GetString());
    }

    [Fact]
    public async Task Exec_runs_the_command_with_the_credentials_and_returns_its_exit_code()
    {
        await LoginAsync();
        var expected = JsonDocument.Parse((await VouchAsync("credential", "aws", "--role", Role)).StandardOutput).RootElement.GetProperty("AccessKeyId").GetString();

        var result = await VouchAsync("exec", "--role", Role, "--", "sh", "-c", "echo \"$AWS_ACCESS_KEY_ID $AWS_REGION\"; exit 7");

        Assert.Equal(7, result.ExitCode);
        Assert.Equal($"{expected} us-east-1", result.StandardOutput.Trim());
    }

    [Fact]
    public async Task Without_a_session_the_aws_cli_shows_vouch_one_line_and_fails()
    {
        Assert.Equal(0, (await VouchAsync("setup", "aws", "--role", Role)).ExitCode);

        var identity = await AwsAsync("sts", "get-caller-identity", "--profile", "vouch");

        Assert.Equal(255, identity.ExitCode);
        Assert.Contains("not logged in: run 'vouch login'", identity.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Setup_aws_asks_for_what_is_missing_when_a_terminal_is_attached()
    {
        // script(1) gives vouch a pseudo-terminal, as a person's shell would; the answers arrive as typed lines.
        var environment = AwsEnvironment();
        var result = await ProcessRunner.RunAsync("script", ["-qec", $"{CliSandbox.Binary} setup aws", "/dev/null"], environment, _user.Home,
            TimeSpan.FromSeconds(30), standardInput: $"{Role}\nteam\neu-west-1\n");

        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        Assert.Contains("IAM role ARN: ", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Profile name [vouch]: ", result.StandardOutput, StringComparison.Ordinal);
        var config = File.ReadAllText(AwsConfigFile);
        Assert.StartsWith("[profile team]\n", config, StringComparison.Ordinal);
        Assert.Contains("region = eu-west-1\n", config, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_terminal_setup_aws_uses_defaults_and_never_waits_for_input()
    {
        var result = await VouchAsync("setup", "aws", "--role", Role);

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("[profile vouch]\n", File.ReadAllText(AwsConfigFile), StringComparison.Ordinal);
        Assert.Contains("region = us-east-1\n", File.ReadAllText(AwsConfigFile), StringComparison.Ordinal);
        var missingRole = await VouchAsync("setup", "aws");
        Assert.Equal(7, missingRole.ExitCode);
        Assert.Contains("IAM role ARN is missing", missingRole.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_the_vouch_server_is_down_credentials_fail_fast_with_their_own_exit_code()
    {
        await LoginAsync();
        await _vouch.Server.StopAsync();

        var result = await VouchAsync("credential", "aws", "--role", Role);

        Assert.Equal(5, result.ExitCode);
        Assert.Empty(result.StandardOutput);
        Assert.Contains("cannot reach the Vouch server", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Setup_aws_for_several_roles_keeps_every_profile_and_lists_them()
    {
        const string admin = "arn:aws:iam::123456789012:role/VouchAdmin";
        await LoginAsync();

        Assert.Equal(0, (await VouchAsync("setup", "aws", "--role", Role, "--profile", "dev", "--region", "eu-west-1")).ExitCode);
        Assert.Equal(0, (await VouchAsync("setup", "aws", "--role", admin, "--profile", "admin")).ExitCode);
        Assert.Equal(0, (await VouchAsync("setup", "aws", "--role", Role, "--profile", "dev")).ExitCode);
        var dev = await AwsAsync("sts", "get-caller-identity", "--profile", "dev", "--output", "json");
        var adminIdentity = await AwsAsync("sts", "get-caller-identity", "--profile", "admin", "--output", "json");
        var list = await VouchAsync("setup", "aws", "--list");

        Assert.True(dev.ExitCode == 0, dev.StandardError);
        Assert.EndsWith("assumed-role/VouchDeveloper/alice@example.com", JsonDocument.Parse(dev.StandardOutput).RootElement.GetProperty("Arn").GetString(), StringComparison.Ordinal);
        Assert.True(adminIdentity.ExitCode == 0, adminIdentity.StandardError);
        Assert.EndsWith("assumed-role/VouchAdmin/alice@example.com", JsonDocument.Parse(adminIdentity.StandardOutput).RootElement.GetProperty("Arn").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, list.ExitCode);
        Assert.Equal(
            "PROFILE  ROLE                                           REGION     DURATION\n" +
            $"dev      {Role}  eu-west-1  3600\n" +
            $"admin    {admin}      us-east-1  3600\n",
            list.StandardOutput);
    }

    [Fact]
    public async Task The_aws_cli_gets_credentials_from_sts_in_the_profiles_region()
    {
        await LoginAsync();
        Assert.Equal(0, (await VouchAsync("setup", "aws", "--role", Role, "--profile", "team", "--region", "eu-west-1")).ExitCode);
        // A profile written by hand, without --region in its line: vouch reads the region of AWS_PROFILE's profile.
        await File.AppendAllTextAsync(AwsConfigFile,
            $"\n[profile manual]\ncredential_process = {CliSandbox.Binary} credential aws --role {Role} --duration 1800\nregion = ap-southeast-2\n");

        var byFlag = await AwsAsync("sts", "get-caller-identity", "--profile", "team");
        var byVariable = await ProcessRunner.RunAsync("aws", ["sts", "get-caller-identity"],
            new Dictionary<string, string?>(AwsEnvironment()) { ["AWS_PROFILE"] = "manual" }, _user.Home, TimeSpan.FromSeconds(60));
        var tokens = await TokensIssuedAsync();
        // The agent caches per region: the AWS CLI's two calls were served in those regions, so these come from memory.
        var team = await VouchAsync("credential", "aws", "--role", Role, "--region", "eu-west-1", "--format", "json");
        var manual = await VouchAsync("credential", "aws", "--role", Role, "--region", "ap-southeast-2", "--duration", "1800", "--format", "json");

        Assert.True(byFlag.ExitCode == 0, byFlag.StandardError);
        Assert.True(byVariable.ExitCode == 0, byVariable.StandardError);
        Assert.Equal("eu-west-1", JsonDocument.Parse(team.StandardOutput).RootElement.GetProperty("region").GetString());
        Assert.Equal("ap-southeast-2", JsonDocument.Parse(manual.StandardOutput).RootElement.GetProperty("region").GetString());
        Assert.Equal(tokens, await TokensIssuedAsync());
    }

    [Theory]
    [InlineData("--duration", "899")]
    [InlineData("--duration", "3601")]
    [InlineData("--role", "arn:aws:iam::123456789012:user/alice")]
    [InlineData("--region", "moon-1")]
    public async Task Bad_arguments_fail_before_any_call_with_a_configuration_error(string flag, string value)
    {
        var arguments = new List<string> { "credential", "aws", "--role", Role };
        if (flag == "--role") arguments[3] = value;
        else arguments.AddRange([flag, value]);

        var result = await VouchAsync([.. arguments]);

        Assert.Equal(7, result.ExitCode);
        Assert.Empty(result.StandardOutput);
    }
}
