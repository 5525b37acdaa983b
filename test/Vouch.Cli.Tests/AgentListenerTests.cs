using Vouch.Cli.Agent;
using Vouch.Cli.Configuration;
using Xunit;

namespace Vouch.Cli.Tests;

public sealed class AgentListenerTests : IAsyncLifetime
{
    private readonly TestAgent _agent = new("vouch-agent-");
    private readonly StringWriter _log = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _agent.DisposeAsync();

    private CliPaths Paths => _agent.Paths;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_request_whose_handler_throws_is_answered_as_an_agent_failure_and_the_next_request_is_served(bool throwsAsynchronously)
    {
        var calls = 0;
        Task<AgentResponse> Handle(AgentRequest request, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref calls) > 1) return Task.FromResult(new AgentResponse { Ok = true, Email = "alice@example.com" });
            return throwsAsynchronously
                ? Task.FromException<AgentResponse>(new InvalidOperationException("a bug in a handler"))
                : throw new InvalidOperationException("a bug in a handler");
        }
        await _agent.ListenAsync(Handle, TextWriter.Synchronized(_log));

        var failed = await Assert.ThrowsAsync<CliException>(() =>
            AgentClient.RequestAsync(Paths, new AgentRequest { Op = AgentOperations.Token }, CancellationToken.None));
        var next = await AgentClient.SendAsync(Paths, new AgentRequest { Op = AgentOperations.Status });
        await _agent.StopAsync();

        Assert.Equal(ExitCodes.AgentFailed, failed.ExitCode);
        Assert.StartsWith("the agent failed: InvalidOperationException", failed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("a bug in a handler", failed.Message, StringComparison.Ordinal);
        Assert.Contains("a bug in a handler", _log.ToString(), StringComparison.Ordinal);
        Assert.NotNull(next);
        Assert.True(next.Ok);
        Assert.Equal("alice@example.com", next.Email);
    }

    [Fact]
    public async Task An_agent_that_closes_the_connection_without_answering_is_an_agent_failure_not_a_missing_session()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Paths.AgentSocket)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(Paths.AgentSocket));
        listener.Listen(1);
        var closing = Task.Run(async () =>
        {
            using var connection = await listener.AcceptAsync();
        });

        var failed = await Assert.ThrowsAsync<CliException>(() =>
            AgentClient.RequestAsync(Paths, new AgentRequest { Op = AgentOperations.Aws }, CancellationToken.None));
        await closing;

        Assert.Equal(ExitCodes.AgentFailed, failed.ExitCode);
        // Closed before or after the request was written: either way the agent did not answer.
        Assert.Contains("did not answer", failed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not logged in", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_agent_failure_has_its_own_exit_code()
    {
        Assert.Equal(ExitCodes.AgentFailed, AgentErrors.ExitCode(AgentErrors.Internal));
        Assert.DoesNotContain(ExitCodes.AgentFailed, new[]
        {
            ExitCodes.Ok, ExitCodes.Failed, ExitCodes.Usage, ExitCodes.NotLoggedIn, ExitCodes.NoKey,
            ExitCodes.ServerUnreachable, ExitCodes.AwsRefused, ExitCodes.BadConfiguration, ExitCodes.Refused, ExitCodes.DoctorFoundProblems,
        });
    }

    [Fact]
    public async Task The_agent_creates_its_missing_directory_private_to_its_user()
    {
        await _agent.ListenAsync((_, _) => Task.FromResult(new AgentResponse { Ok = true }), TextWriter.Synchronized(_log));
        var answer = await AgentClient.SendAsync(Paths, new AgentRequest { Op = AgentOperations.Ping });
        await _agent.StopAsync();

        Assert.True(answer?.Ok);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Paths.AgentDirectory));
    }

    [Theory]
    [InlineData("a 0755 directory", "has mode 0755, not 0700")]
    [InlineData("a symbolic link", "is a symbolic link")]
    [InlineData("another user's directory", "belongs to another user (uid 65534)")]
    public async Task Neither_client_nor_agent_uses_an_agent_directory_that_is_not_privately_its_users(string kind, string problem)
    {
        var directory = Paths.AgentDirectory;
        UnsafeDirectory(kind, directory);
        // A listener already in that directory, as someone who controls it would leave: the client must not even connect.
        using var planted = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        planted.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(Paths.AgentSocket));
        planted.Listen(1);
        var accepting = planted.AcceptAsync();

        var client = await Assert.ThrowsAsync<CliException>(() => AgentClient.SendAsync(Paths, new AgentRequest
        {
            Op = AgentOperations.Login, Server = "https://vouch.example.com", Session = "vs_secret", Email = "alice@example.com", ExpiresAt = DateTimeOffset.UtcNow.AddHours(8),
        }));
        var agent = await Assert.ThrowsAsync<CliException>(() => new AgentListener(Paths, _log).RunAsync((_, _) => Task.FromResult(new AgentResponse { Ok = true }), CancellationToken.None));
        await Task.Delay(200);

        Assert.False(accepting.IsCompleted, "the client connected to the planted socket");
        Assert.False(File.Exists(Paths.AgentPidFile), "the agent started");
        Assert.Equal((ExitCodes.BadConfiguration, ExitCodes.BadConfiguration), (client.ExitCode, agent.ExitCode));
        Assert.StartsWith($"the agent directory {directory} {problem}", client.Message, StringComparison.Ordinal);
        Assert.Contains(": nothing was sent to it;", client.Message, StringComparison.Ordinal);
        Assert.StartsWith($"the agent directory {directory} {problem}", agent.Message, StringComparison.Ordinal);
        Assert.Contains(": the agent will not listen there;", agent.Message, StringComparison.Ordinal);
    }

    /// <summary>Makes <paramref name="directory"/> unsafe in the way <paramref name="kind"/> names; the socket can still be bound in it (the tests run as root).</summary>
    private void UnsafeDirectory(string kind, string directory)
    {
        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        switch (kind)
        {
            case "a 0755 directory":
                Directory.CreateDirectory(directory);
                File.SetUnixFileMode(directory, (UnixFileMode)0x1ED);
                break;
            case "a symbolic link":
                // To a directory that is private and the user's own: only the link itself is wrong.
                var real = Directory.CreateDirectory(_agent.Directory.File("real"), Private).FullName;
                File.CreateSymbolicLink(directory, real);
                break;
            default:
                // Made by nobody in a directory anyone may write, as in /tmp.
                File.SetUnixFileMode(_agent.Directory.Path, (UnixFileMode)0x3FF);
                using (var made = System.Diagnostics.Process.Start("runuser", ["-u", "nobody", "--", "mkdir", "-m", "700", directory])!)
                {
                    made.WaitForExit();
                    Assert.Equal(0, made.ExitCode);
                }
                break;
        }
    }

    [Fact]
    public async Task Clients_that_connect_and_send_nothing_are_cut_off_and_do_not_starve_others()
    {
        await _agent.ListenAsync((_, _) => Task.FromResult(new AgentResponse { Ok = true, Email = "alice@example.com" }), TextWriter.Synchronized(_log));
        var silent = new List<System.Net.Sockets.Socket>();
        try
        {
            for (var i = 0; i < 100; i++)
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                await socket.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(Paths.AgentSocket));
                silent.Add(socket);
            }

            var served = await AgentClient.SendAsync(Paths, new AgentRequest { Op = AgentOperations.Status });
            // Each must send its request within 5 s: then the agent answers "malformed" and hangs up.
            var buffer = new byte[4096];
            var cutOff = await silent[0].ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(TimeSpan.FromSeconds(20));

            Assert.True(served?.Ok);
            Assert.Contains("bad_request", System.Text.Encoding.UTF8.GetString(buffer, 0, cutOff), StringComparison.Ordinal);
        }
        finally
        {
            foreach (var socket in silent) socket.Dispose();
            await _agent.StopAsync();
        }
    }

    [Fact]
    public async Task Beyond_its_connection_limit_the_agent_answers_busy_at_once_and_serves_again_when_they_go()
    {
        var release = new TaskCompletionSource();
        var entered = 0;
        await _agent.ListenAsync(async (request, _) =>
        {
            if (request.Op == AgentOperations.Token)
            {
                Interlocked.Increment(ref entered);
                await release.Task;
            }
            return new AgentResponse { Ok = true, Email = "alice@example.com" };
        }, TextWriter.Synchronized(_log));
        try
        {
            var held = Enumerable.Range(0, AgentListener.MaxConnections)
                .Select(_ => AgentClient.SendAsync(Paths, new AgentRequest { Op = AgentOperations.Token })).ToList();
            for (var i = 0; i < 300 && Volatile.Read(ref entered) < AgentListener.MaxConnections; i++) await Task.Delay(50);
            Assert.Equal(AgentListener.MaxConnections, Volatile.Read(ref entered));

            var busy = await Assert.ThrowsAsync<CliException>(() =>
                AgentClient.RequestAsync(Paths, new AgentRequest { Op = AgentOperations.Status }, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));
            release.SetResult();
            await Task.WhenAll(held);
            var served = await AgentClient.SendAsync(Paths, new AgentRequest { Op = AgentOperations.Status });

            Assert.Equal(ExitCodes.Failed, busy.ExitCode);
            Assert.Equal($"the vouch agent is answering {AgentListener.MaxConnections} requests already: try again", busy.Message);
            Assert.True(served?.Ok);
        }
        finally
        {
            release.TrySetResult();
            await _agent.StopAsync();
        }
    }
}
