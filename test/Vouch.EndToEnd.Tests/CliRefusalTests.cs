using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests;

/// <summary>What the published CLI says when the world is not as it should be.</summary>
public sealed class CliRefusalTests : IDisposable
{
    private readonly CliSandbox _user = new();

    public void Dispose() => _user.Dispose();

    [Fact]
    public async Task A_software_authenticator_is_refused_by_a_server_that_accepts_only_yubikeys()
    {
        await using var server = await VouchWorld.StartAsync(serveArguments: []);
        var invite = await server.InviteAsync("mallory@example.com");

        var enroll = await _user.RunAsync("enroll", "--server", server.Issuer, "--invite", invite);

        Assert.Equal(8, enroll.ExitCode);
        Assert.Contains("attestation_refused", enroll.StandardError, StringComparison.Ordinal);
        Assert.Contains("SOFTWARE authenticator", enroll.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_server_is_named_with_its_own_exit_code()
    {
        var login = await _user.RunAsync("login", "--server", $"http://127.0.0.1:{FreePort.Next()}");

        Assert.Equal(5, login.ExitCode);
        Assert.Contains("cannot reach the Vouch server", login.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_security_key_login_says_none_was_found()
    {
        await using var server = await VouchWorld.StartAsync();

        // No VOUCH_SOFTWARE_AUTHENTICATOR: the CLI asks libfido2, and this machine has no USB key.
        var login = await _user.RunAsync(softwareKey: false, "login", "--server", server.Issuer);

        Assert.Equal(4, login.ExitCode);
        Assert.Equal("vouch: no security key found: insert your YubiKey and try again", login.StandardError.Trim());
        Assert.Empty(login.StandardOutput);
    }

    [Fact]
    public async Task An_http_server_that_is_not_loopback_is_refused_before_any_request()
    {
        var enroll = await _user.RunAsync("enroll", "--server", "http://vouch.example.com", "--invite", "vi_x");

        Assert.Equal(7, enroll.ExitCode);
        Assert.Contains("https://", enroll.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_usage_error_exits_2_with_nothing_on_stdout()
    {
        var result = await _user.RunAsync("enroll", "--server");

        Assert.Equal(2, result.ExitCode);
        Assert.Empty(result.StandardOutput);
    }
}
