using Vouch.Cli;
using Vouch.Cli.Commands;
using Vouch.Cli.Server;
using Vouch.Cli.Terminal;

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
