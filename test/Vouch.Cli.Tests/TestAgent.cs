using System.Diagnostics;
using Vouch.Cli.Agent;
using Vouch.Cli.Configuration;
using Vouch.Cli.Server;
using Vouch.Testing;
using Xunit;

namespace Vouch.Cli.Tests;

/// <summary>
/// A temporary <see cref="CliPaths"/> (config and agent socket in a fresh directory) and, once started, the real
/// <see cref="AgentListener"/> on it in this process; on dispose the agent stops and the directory is deleted.
/// </summary>
internal sealed class TestAgent : IAsyncDisposable
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(10);

    private readonly TemporaryDirectory _directory;
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Paths only; nothing listens until <see cref="ListenAsync"/>.</summary>
    public TestAgent(string prefix = "vouch-agent-")
    {
        _directory = new TemporaryDirectory(prefix);
        Paths = new CliPaths(_directory.File("config"), _directory.File("run/agent.sock"));
    }

    public CliPaths Paths { get; }

    /// <summary>The temporary directory the paths are in, for the test's other files.</summary>
    public TemporaryDirectory Directory => _directory;

    /// <summary>The listener's run (or a stand-in's, <see cref="Run"/>); completes once the agent stops.</summary>
    public Task Listening { get; private set; } = Task.CompletedTask;

    /// <summary>Cancelled when the agent stops: the lifetime of a dispatcher's shared work.</summary>
    public CancellationToken Lifetime => _stop.Token;

    /// <summary>An agent whose requests <paramref name="handle"/> answers, returned once it listens.</summary>
    public static async Task<TestAgent> StartAsync(
        Func<AgentRequest, CancellationToken, Task<AgentResponse>> handle, TextWriter? log = null, string prefix = "vouch-agent-")
    {
        var agent = new TestAgent(prefix);
        await agent.ListenAsync(handle, log);
        return agent;
    }

    /// <summary>An agent with the real dispatcher on <paramref name="time"/>, returned once it listens.</summary>
    public static async Task<TestAgent> StartAsync(TimeProvider time, ServerConnections connections, string prefix = "vouch-agent-")
    {
        var agent = new TestAgent(prefix);
        var dispatcher = new AgentDispatcher(new AgentState(time), connections, agent.Lifetime);
        await agent.ListenAsync(dispatcher.HandleAsync);
        return agent;
    }

    /// <summary>Starts the real listener with <paramref name="handle"/>; returns once it accepts connections, each of which it answers.</summary>
    public async Task ListenAsync(Func<AgentRequest, CancellationToken, Task<AgentResponse>> handle, TextWriter? log = null)
    {
        var listening = Task.Run(() => new AgentListener(Paths, log ?? TextWriter.Null).RunAsync(handle, _stop.Token), CancellationToken.None);
        Listening = listening;
        // The listener writes its PID file once its socket listens: from then on every connection is answered.
        var waited = Stopwatch.StartNew();
        while (!File.Exists(Paths.AgentPidFile))
        {
            if (listening.IsCompleted)
            {
                await listening;
                Assert.Fail($"the agent stopped before it listened on {Paths.AgentSocket}");
            }
            Assert.True(waited.Elapsed < StartLimit, $"the agent did not listen on {Paths.AgentSocket} within {StartLimit.TotalSeconds} s");
            await Task.Delay(10);
        }
    }

    /// <summary>Runs a stand-in for the agent (<paramref name="serve"/>, given <see cref="Lifetime"/>) in its place.</summary>
    public void Run(Func<CancellationToken, Task> serve) => Listening = Task.Run(() => serve(_stop.Token));

    /// <summary>Stops the agent (the listener removes its socket and PID file); the directory stays until dispose.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Listening;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
        _directory.Dispose();
    }
}
