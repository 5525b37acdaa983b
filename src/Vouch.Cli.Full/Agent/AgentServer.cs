using Vouch.Cli.Configuration;
using Vouch.Cli.Server;

namespace Vouch.Cli.Agent;

/// <summary>
/// <c>vouch agent</c>: holds the session in memory only (<see cref="AgentState"/>) and answers requests
/// (<see cref="AgentDispatcher"/>) on its Unix socket (<see cref="AgentListener"/>). It exits after it has held no
/// session for <see cref="IdleExit"/>.
/// </summary>
public sealed class AgentServer(CliPaths paths, ServerConnections connections, TimeProvider time, TextWriter log)
{
    public static readonly TimeSpan IdleExit = TimeSpan.FromMinutes(10);

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        // Before anything can touch the AWS SDK: the user's AWS files and variables must never reach it.
        Aws.AwsSdkIsolation.Apply();
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var state = new AgentState(time);
        var dispatcher = new AgentDispatcher(state, connections, lifetime.Token);
        var idle = WatchIdleAsync(state, lifetime);
        try
        {
            await new AgentListener(paths, log).RunAsync(dispatcher.HandleAsync, lifetime.Token);
        }
        finally
        {
            await lifetime.CancelAsync();
        }
        await idle;
        return ExitCodes.Ok;
    }

    private async Task WatchIdleAsync(AgentState state, CancellationTokenSource stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(30), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false))
            {
                if (state.IsIdle(IdleExit)) await stop.CancelAsync();
            }
        }
        catch (OperationCanceledException)
        {
            // The agent stops.
        }
    }
}
