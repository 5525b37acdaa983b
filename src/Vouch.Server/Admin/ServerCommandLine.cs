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
            InviteCommand.Create(context),
            SessionsCommand.Create(context),
            UsersCommand.Create(context),
            CredentialsCommand.Create(context),
            InvitesCommand.Create(context),
            AwsCommand.Create(context),
            DoctorCommand.Create(context),
        };
        CommonOptions.AddTo(root);
        return root;
    }

    public static Task<int> InvokeAsync(string[] args, CommandContext context, CancellationToken cancellationToken = default)
    {
        var parse = Create(context).Parse(args);
        if (parse.Errors.Count > 0)
        {
            // Usage errors go to stderr with a pointer to --help; stdout stays empty for scripts.
            foreach (var error in parse.Errors) context.Error.WriteLine($"vouch-server: {error.Message}");
            context.Error.WriteLine($"Run '{parse.CommandResult.Command.Name switch { "vouch-server" => "vouch-server", var name => "vouch-server " + name }} --help' for usage.");
            return Task.FromResult(ExitCodes.Usage);
        }
        return parse.InvokeAsync(new InvocationConfiguration
        {
            Output = context.Out,
            Error = context.Error,
            // Let the web host finish in-flight requests on SIGTERM.
            ProcessTerminationTimeout = TimeSpan.FromSeconds(15),
        }, cancellationToken);
    }
}
