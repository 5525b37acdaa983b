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

    /// <summary>
    /// Python: listens on argv[1] (creating its directory 0700 first when argv[3] is "mkdir"); writes to argv[2] how
    /// many bytes one connection sent, or "no connection" when none came within 3 s.
    /// </summary>
    private const string Listener =
        "import os,socket,sys\nif len(sys.argv)>3: os.mkdir(os.path.dirname(sys.argv[1]),0o700)\n" +
        "s=socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])\nos.chmod(sys.argv[1],0o777)\ns.listen(1)\ns.settimeout(3)\n" +
        "try:\n  c,_=s.accept()\nexcept socket.timeout:\n  open(sys.argv[2],'w').write('no connection')\n  sys.exit(0)\n" +
        "c.settimeout(3)\ndata=b''\ntry:\n  while True:\n    chunk=c.recv(65536)\n    if not chunk: break\n    data+=chunk\n" +
        "except socket.timeout:\n  pass\nopen(sys.argv[2],'w').write(str(len(data)))\n";

    private static async Task<System.Diagnostics.Process> ListenAsync(bool asNobody, string socket, string received, bool makeDirectory = false)
    {
        string[] arguments = ["python3", "-c", Listener, socket, received, .. makeDirectory ? new[] { "mkdir" } : []];
        var process = asNobody ? ProcessRunner.Start("runuser", ["-u", "nobody", "--", .. arguments]) : ProcessRunner.Start(arguments[0], arguments[1..]);
        for (var i = 0; i < 100 && !File.Exists(socket); i++) await Task.Delay(50);
        Assert.True(File.Exists(socket), "the planted listener did not start");
        return process;
    }

    private static async Task<string> ReceivedAsync(System.Diagnostics.Process listener, string received)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await listener.WaitForExitAsync(timeout.Token);
        return File.ReadAllText(received);
    }

    [Fact]
    public async Task A_socket_another_user_planted_where_the_agent_would_be_gets_nothing()
    {
        // The directory is the user's own and private; only the socket in it is a stranger's (bound by nobody
        // elsewhere, then moved in): the peer's uid (SO_PEERCRED) is what gives it away.
        using var shared = new TemporaryDirectory("vouch-planted-");
        File.SetUnixFileMode(shared.Path, (UnixFileMode)0x3FF);
        using var own = new TemporaryDirectory("vouch-own-");
        var received = shared.File("received");
        using var planted = await ListenAsync(asNobody: true, shared.File("agent.sock"), received);
        var socket = own.File("agent.sock");
        File.Move(shared.File("agent.sock"), socket);
        var environment = _user.Environment();
        environment["VOUCH_AGENT_SOCKET"] = socket;

        var status = await ProcessRunner.RunAsync(CliSandbox.Binary, ["status"], environment, _user.Home, TimeSpan.FromSeconds(30), standardInput: "");

        Assert.Equal(7, status.ExitCode);
        Assert.Contains("is held by another user", status.StandardError, StringComparison.Ordinal);
        Assert.Equal("0", await ReceivedAsync(planted, received));
    }

    [Theory]
    [InlineData("another user's", "belongs to another user (uid 65534), not to you (uid 0)")]
    [InlineData("0755", "has mode 0755, not 0700")]
    [InlineData("a symbolic link", "is a symbolic link")]
    public async Task An_agent_directory_that_is_not_privately_the_users_gets_nothing_and_no_agent_starts_there(string kind, string problem)
    {
        // As /tmp/vouch-UID can be without XDG_RUNTIME_DIR: made by someone else first, open, or a link elsewhere.
        using var shared = new TemporaryDirectory("vouch-planted-");
        File.SetUnixFileMode(shared.Path, (UnixFileMode)0x3FF);
        var directory = shared.File("vouch-0");
        var received = shared.File("received");
        System.Diagnostics.Process planted;
        switch (kind)
        {
            case "another user's":
                planted = await ListenAsync(asNobody: true, Path.Combine(directory, "agent.sock"), received, makeDirectory: true);
                break;
            case "0755":
                Directory.CreateDirectory(directory);
                File.SetUnixFileMode(directory, (UnixFileMode)0x1ED);
                planted = await ListenAsync(asNobody: false, Path.Combine(directory, "agent.sock"), received);
                break;
            default:
                var elsewhere = Directory.CreateDirectory(shared.File("elsewhere"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute).FullName;
                File.CreateSymbolicLink(directory, elsewhere);
                planted = await ListenAsync(asNobody: false, Path.Combine(elsewhere, "agent.sock"), received);
                break;
        }
        using (planted)
        {
            var environment = _user.Environment();
            environment["VOUCH_AGENT_SOCKET"] = Path.Combine(directory, "agent.sock");

            var status = await ProcessRunner.RunAsync(CliSandbox.Binary, ["status"], environment, _user.Home, TimeSpan.FromSeconds(30), standardInput: "");
            var agent = await ProcessRunner.RunAsync(CliSandbox.Binary, ["agent"], environment, _user.Home, TimeSpan.FromSeconds(30), standardInput: "");

            Assert.Equal(7, status.ExitCode);
            Assert.StartsWith($"vouch: the agent directory {directory} {problem}", status.StandardError, StringComparison.Ordinal);
            Assert.Contains(": nothing was sent to it; ", status.StandardError, StringComparison.Ordinal);
            Assert.Equal(7, agent.ExitCode);
            Assert.StartsWith($"vouch: the agent directory {directory} {problem}", agent.StandardError, StringComparison.Ordinal);
            Assert.Contains(": the agent will not listen there; ", agent.StandardError, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(directory, "agent.sock.pid")), "an agent started there");
            Assert.Equal("no connection", await ReceivedAsync(planted, received));
        }
    }

    [Fact]
    public async Task Another_process_of_the_agents_user_cannot_read_its_memory_or_environment()
    {
        // The agent runs as nobody here, so that "another process of the same user" is not root (root reads anything).
        using var shared = new TemporaryDirectory("vouch-undumpable-");
        File.SetUnixFileMode(shared.Path, (UnixFileMode)0x3FF);
        var socket = shared.File("run/agent.sock");
        using var agent = ProcessRunner.Start("runuser",
            ["-u", "nobody", "--", "env", $"VOUCH_AGENT_SOCKET={socket}", $"HOME={shared.Path}", CliSandbox.Binary, "agent"]);
        for (var i = 0; i < 200 && !File.Exists(socket + ".pid"); i++) await Task.Delay(50);
        Assert.True(File.Exists(socket + ".pid"), "the agent did not start: " + (agent.HasExited ? await agent.StandardError.ReadToEndAsync() : "still starting"));
        var pid = File.ReadAllText(socket + ".pid").Trim();
        try
        {
            var uid = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
            var owner = await ProcessRunner.RunAsync("stat", ["-c", "%u", $"/proc/{pid}/environ"]);
            var read = await ProcessRunner.RunAsync("runuser", ["-u", "nobody", "--", "cat", $"/proc/{pid}/environ"]);
            // What any other process of nobody gets: its /proc files are nobody's.
            var ordinary = await ProcessRunner.RunAsync("runuser", ["-u", "nobody", "--", "sh", "-c", "sleep 5 & stat -c %u /proc/$!/environ; kill $!"]);

            Assert.Equal("65534", uid);
            Assert.Equal("65534", ordinary.StandardOutput.Trim());
            // Not dumpable: the kernel gives its /proc files to root, and ptrace-level access is refused.
            Assert.Equal("0", owner.StandardOutput.Trim());
            Assert.NotEqual(0, read.ExitCode);
            Assert.Contains("Permission denied", read.StandardError, StringComparison.Ordinal);
            Assert.Empty(read.StandardOutput);
        }
        finally
        {
            ProcessRunner.Terminate(int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture));
            await agent.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        }
    }

    [Fact]
    public async Task An_sts_endpoint_over_plain_http_off_loopback_is_refused_before_anything_is_asked()
    {
        var environment = _user.Environment();
        // Cannot resolve: a DNS lookup or a connection would fail differently.
        environment["AWS_ENDPOINT_URL_STS"] = "http://sts.invalid";
        environment["AWS_REGION"] = "us-east-1";

        var aws = await ProcessRunner.RunAsync(CliSandbox.Binary, ["credential", "aws", "--role", "arn:aws:iam::123456789012:role/VouchDeveloper"],
            environment, _user.Home, TimeSpan.FromSeconds(30), standardInput: "");

        // 7, not 3: refused before the agent is even asked (no one is logged in here).
        Assert.Equal(7, aws.ExitCode);
        Assert.Equal(
            "vouch: AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL 'http://sts.invalid' is plain http:// to a host that is not loopback: the Vouch ID token would cross " +
            "the network readable by anyone on the way, so nothing was sent; use https:// (http:// only for localhost, 127.0.0.0/8 or [::1])",
            aws.StandardError.Trim());
        Assert.Empty(aws.StandardOutput);
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
