using Vouch.Cli;
using Vouch.Cli.Commands;
using Vouch.Cli.Server;
using Vouch.Cli.Terminal;

// credential_process and status first, without building the command line (docs/benchmarks.md, issue 13).
if (HotPath.TryRun(args, Environment.GetEnvironmentVariable, StandardOutput.Open, () => Console.Out, () => Console.Error) is { } hot)
    return hot;

var connections = new Lazy<ServerConnections>(() => new ServerConnections(TimeProvider.System));
var context = new CliContext(new SystemConsole(), Environment.GetEnvironmentVariable, connections);
try
{
    return await VouchCommandLine.InvokeAsync(args, context);
}
finally
{
    if (connections.IsValueCreated) connections.Value.Dispose();
}
