using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests;

/// <summary>
/// <c>vouch console</c> with credentials from moto's STS. No real peer implements the AWS federation endpoint here:
/// a stand-in on 127.0.0.1 (<c>VOUCH_AWS_FEDERATION_ENDPOINT</c>) records the getSigninToken request and answers a
/// made-up SigninToken, so these tests pin the request's shape to the IAM User Guide, not AWS's behaviour.
/// </summary>
public sealed class ConsoleEndToEndTests : AwsUserWorld
{
    private const string SigninToken = "stand-in-signin-token";
    private readonly ConcurrentQueue<IQueryCollection> _requests = new();
    private WebApplication? _federation;
    private string _endpoint = "";

    private async Task StartFederationStandInAsync()
    {
        _endpoint = $"http://127.0.0.1:{FreePort.Next()}/federation";
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(new Uri(_endpoint).GetLeftPart(UriPartial.Authority));
        builder.Logging.ClearProviders();
        _federation = builder.Build();
        _federation.MapGet("/federation", (HttpRequest request) =>
        {
            _requests.Enqueue(request.Query);
            return Results.Text($$"""{"SigninToken":"{{SigninToken}}"}""", "application/json");
        });
        await _federation.StartAsync();
    }

    protected override async Task StopAsync()
    {
        if (_federation is not null) await _federation.DisposeAsync();
    }

    private async Task<ProcessResult> ConsoleAsync(string[] arguments, params (string Name, string? Value)[] extra)
    {
        if (_federation is null) await StartFederationStandInAsync();
        return await VouchAsync(["console", .. arguments], [("VOUCH_AWS_FEDERATION_ENDPOINT", _endpoint), .. extra]);
    }

    private static Dictionary<string, string> Query(string url) =>
        new Uri(url).Query.TrimStart('?').Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]));

    [Fact]
    public async Task Print_puts_the_login_url_alone_on_stdout_after_a_documented_getsignintoken_request()
    {
        var result = await ConsoleAsync(["--role", Role, "--print", "--duration", "1800"]);
        var credentials = await VouchAsync(["credential", "aws", "--role", Role]);

        Assert.True(result.ExitCode == 0, result.StandardError);
        var url = Assert.Single(result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(_endpoint + "?Action=login&Issuer=vouch&Destination=", url, StringComparison.Ordinal);
        Assert.Equal(SigninToken, Query(url)["SigninToken"]);
        Assert.Equal("https://console.aws.amazon.com/console/home?region=us-east-1", Query(url)["Destination"]);
        Assert.DoesNotContain(SigninToken, result.StandardError, StringComparison.Ordinal);
        Assert.Contains("VOUCH_AWS_FEDERATION_ENDPOINT", result.StandardError, StringComparison.Ordinal);

        var request = Assert.Single(_requests);
        Assert.Equal("getSigninToken", request["Action"]);
        Assert.Equal("1800", request["SessionDuration"]);
        var session = JsonDocument.Parse(request["Session"].ToString()).RootElement;
        Assert.Equal(["sessionId", "sessionKey", "sessionToken"], session.EnumerateObject().Select(p => p.Name));
        // The agent's cached credentials, the very ones credential_process gets.
        var expected = JsonDocument.Parse(credentials.StandardOutput).RootElement;
        Assert.Equal(expected.GetProperty("AccessKeyId").GetString(), session.GetProperty("sessionId").GetString());
        Assert.Equal(expected.GetProperty("SessionToken").GetString(), session.GetProperty("sessionToken").GetString());
    }

    [Fact]
    public async Task Profile_takes_the_role_and_region_from_the_profile_setup_aws_wrote()
    {
        Assert.Equal(0, (await VouchAsync(["setup", "aws", "--role", Role, "--profile", "team", "--region", "eu-west-1"])).ExitCode);

        var result = await ConsoleAsync(["--profile", "team", "--print"]);

        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal("https://console.aws.amazon.com/console/home?region=eu-west-1", Query(result.StandardOutput.Trim())["Destination"]);
        Assert.Single(_requests);
    }

    [Fact]
    public async Task Without_a_display_the_url_is_printed_with_a_warning_on_stderr()
    {
        var result = await ConsoleAsync(["--role", Role]);

        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.StartsWith(_endpoint + "?Action=login&", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("no display", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("do not share it", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_display_the_browser_gets_the_url_and_stdout_stays_empty()
    {
        // A stand-in xdg-open (a browser, as this user) that writes down its argument and where the link took it.
        var bin = Path.Combine(User.Home, "bin");
        Directory.CreateDirectory(bin);
        var argument = Path.Combine(User.Home, "argument");
        var opened = Path.Combine(User.Home, "opened");
        File.WriteAllText(Path.Combine(bin, "xdg-open"),
            $"#!/bin/sh\nprintf '%s' \"$1\" > '{argument}'\ncurl -s -o /dev/null -w '%{{redirect_url}}' \"$1\" > '{opened}'\n");
        File.SetUnixFileMode(Path.Combine(bin, "xdg-open"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var result = await ConsoleAsync(["--role", Role], ("DISPLAY", ":99"), ("PATH", $"{bin}:{System.Environment.GetEnvironmentVariable("PATH")}"));

        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Empty(result.StandardOutput);
        Assert.DoesNotContain(SigninToken, result.StandardError, StringComparison.Ordinal);
        Assert.Equal(SigninToken, Query(File.ReadAllText(opened))["SigninToken"]);
        // What every local user can read in /proc/PID/cmdline is a one-time loopback link, not the sign-in URL.
        Assert.Matches("^http://127.0.0.1:[0-9]+/[0-9a-f]{32}$", File.ReadAllText(argument));
    }

    [Theory]
    [InlineData("--role", Role, "--profile", "team")]
    [InlineData("--print")]
    public async Task Either_a_role_or_a_profile_is_required(params string[] arguments)
    {
        var result = await ConsoleAsync(arguments);

        Assert.Equal(2, result.ExitCode);
        Assert.Empty(result.StandardOutput);
        Assert.Empty(_requests);
    }
}
