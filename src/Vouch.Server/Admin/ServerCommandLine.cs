using System.CommandLine;

namespace Vouch.Server.Admin;

/// <summary>The <c>vouch-server</c> command line: <c>serve</c> and the admin commands.</summary>
public static class ServerCommandLine
{
    public static RootCommand Create(CommandContext context)
    {
        var root = new RootCommand("Vouch: short-lived AWS credentials backed by YubiKeys. The identity server.")
        {
            ServeCommand.Create(context),
            KeysCommand.Create(context),
            AuditCommand.Create(context),
        };
        CommonOptions.AddTo(root);
        return root;
    }

    public static Task<int> InvokeAsync(string[] args, CommandContext context, CancellationToken cancellationToken = default)
    {
        var parse = Create(context).Parse(args);
        return parse.InvokeAsync(new InvocationConfiguration
        {
            Output = context.Out,
            Error = context.Error,
            // Let the web host finish in-flight requests on SIGTERM.
            ProcessTerminationTimeout = TimeSpan.FromSeconds(15),
        }, cancellationToken);
    }
}
