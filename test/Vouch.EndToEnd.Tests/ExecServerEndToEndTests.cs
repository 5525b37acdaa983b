using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests;

/// <summary>
/// <c>vouch exec --server</c>: the real AWS CLI (botocore's container credentials provider) inside it, against moto,
/// and curl at the endpoint with and without the token.
/// </summary>
public sealed partial class ExecServerEndToEndTests : AwsUserWorld
{
    private Task<ProcessResult> ExecServerAsync(string script, string duration = "3600", params (string Name, string? Value)[] extra) =>
        VouchAsync(["exec", "--server", "--role", Role, "--duration", duration, "--", "sh", "-c", script], extra);

    [Fact]
    public async Task The_aws_cli_runs_as_the_assumed_role_with_no_static_keys_in_its_environment()
    {
        // Whatever static credentials the caller had must not reach the command: the SDKs would prefer them.
        var result = await ExecServerAsync(
            "env | grep -E '^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|PROFILE)=' && exit 90; aws sts get-caller-identity --output json",
            extra: [("AWS_ACCESS_KEY_ID", "AKIASTATICSTATIC0000"), ("AWS_SECRET_ACCESS_KEY", "static"), ("AWS_PROFILE", "elsewhere")]);

        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        Assert.Equal(AssumedRole, JsonDocument.Parse(result.StandardOutput).RootElement.GetProperty("Arn").GetString());
    }

    [Fact]
    public async Task Credentials_refreshed_between_two_aws_runs_come_from_the_endpoint_and_both_work()
    {
        // 900-second credentials are never served from the agent's cache (it keeps 15 minutes in hand), so each run
        // asks the endpoint and gets credentials from a new STS call.
        var result = await ExecServerAsync(
            "aws configure list && aws sts get-caller-identity --output text --query Arn && " +
            "aws configure list && aws sts get-caller-identity --output text --query Arn", duration: "900");

        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        Assert.Equal(2, result.StandardOutput.Split('\n').Count(l => l.Trim() == AssumedRole));
        var keys = AccessKeyLine().Matches(result.StandardOutput).Select(m => m.Groups["last"].Value).ToList();
        Assert.Equal(2, keys.Count);
        Assert.NotEqual(keys[0], keys[1]);
    }

    [Fact]
    public async Task The_endpoint_refuses_a_request_without_the_token_or_with_a_wrong_one()
    {
        var result = await ExecServerAsync(
            "u=\"$AWS_CONTAINER_CREDENTIALS_FULL_URI\"; echo \"$u\"; " +
            "curl -s -o /dev/null -w '%{http_code} ' \"$u\"; " +
            "curl -s -o /dev/null -w '%{http_code} ' -H 'Authorization: wrong' \"$u\"; " +
            "curl -s -o /dev/null -w '%{http_code}' -H \"Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN\" \"$u\"");

        Assert.True(result.ExitCode == 0, result.StandardError);
        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("http://127.0.0.1:", lines[0], StringComparison.Ordinal);
        Assert.Equal("401 403 200", lines[1]);
    }

    [Fact]
    public async Task Vouch_exits_with_the_command_exit_code_and_the_endpoint_stops_with_it()
    {
        var result = await ExecServerAsync("echo \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\"; exit 7");

        Assert.Equal(7, result.ExitCode);
        var endpoint = new Uri(result.StandardOutput.Trim());
        using var client = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => client.ConnectAsync("127.0.0.1", endpoint.Port));
    }

    [GeneratedRegex(@"access_key\s+\*+(?<last>\w{4})\s+container-role")]
    private static partial Regex AccessKeyLine();
}

/// <summary><c>vouch exec --server</c> without a session: vouch's own exit code, and COMMAND never runs.</summary>
public sealed class ExecServerWithoutSessionEndToEndTests : AwsUserWorld
{
    protected override bool LoggedIn => false;

    [Fact]
    public async Task Without_a_session_the_command_never_starts()
    {
        var result = await VouchAsync(["exec", "--server", "--role", Role, "--", "sh", "-c", "echo started"]);

        Assert.Equal(3, result.ExitCode);
        Assert.Empty(result.StandardOutput);
        Assert.Contains("not logged in: run 'vouch login'", result.StandardError, StringComparison.Ordinal);
    }
}
