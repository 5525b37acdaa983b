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
    public async Task A_socket_another_user_planted_where_the_agent_would_be_gets_nothing()
    {
        // As in /tmp/vouch-<uid> without XDG_RUNTIME_DIR: a directory others can write, and nobody's socket in it.
        using var shared = new TemporaryDirectory("vouch-planted-");
        File.SetUnixFileMode(shared.Path, (UnixFileMode)0x1FF);
        var socket = shared.File("agent.sock");
        var received = shared.File("received");
        var script = "import os,socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])\nos.chmod(sys.argv[1],0o777)\ns.listen(1)\n" +
                     "c,_=s.accept()\nc.settimeout(3)\ndata=b''\ntry:\n  while True:\n    chunk=c.recv(65536)\n    if not chunk: break\n    data+=chunk\n" +
                     "except socket.timeout:\n  pass\nopen(sys.argv[2],'w').write(str(len(data)))\n";
        using var planted = ProcessRunner.Start("runuser", ["-u", "nobody", "--", "python3", "-c", script, socket, received]);
        for (var i = 0; i < 100 && !File.Exists(socket); i++) await Task.Delay(50);
        Assert.True(File.Exists(socket), "nobody's listener did not start");
        var environment = _user.Environment();
        environment["VOUCH_AGENT_SOCKET"] = socket;

        var status = await ProcessRunner.RunAsync(CliSandbox.Binary, ["status"], environment, _user.Home, TimeSpan.FromSeconds(30), standardInput: "");
        await planted.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);

        Assert.Equal(7, status.ExitCode);
        Assert.Contains("is held by another user", status.StandardError, StringComparison.Ordinal);
        Assert.Equal("0", File.ReadAllText(received));
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
