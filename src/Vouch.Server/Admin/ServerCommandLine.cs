using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

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
            foreach (var error in parse.Errors) context.Error.WriteLine($"vouch-server: {Describe(error)}");
            context.Error.WriteLine($"Run '{CommandPath(parse.CommandResult)} --help' for usage.");
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

    /// <summary>The full command, as typed: <c>vouch-server aws setup</c>, not <c>vouch-server setup</c>.</summary>
    private static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (var result = command; result.Parent is CommandResult parent; result = parent) names.Insert(0, result.Command.Name);
        return string.Join(' ', ["vouch-server", .. names]);
    }

    /// <summary>
    /// The parser's sentence, except for a value that is not a number or an id: that names the option and the form
    /// it takes rather than a .NET type (<c>System.Int32</c>).
    /// </summary>
    internal static string Describe(ParseError error)
    {
        var option = error.SymbolResult as OptionResult ?? (error.SymbolResult as ArgumentResult)?.Parent as OptionResult;
        if (option?.Tokens is not [var token]) return error.Message;
        var type = Nullable.GetUnderlyingType(option.Option.ValueType) ?? option.Option.ValueType;
        if (type == typeof(int) && !int.TryParse(token.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
            return $"{option.Option.Name} takes a whole number, not '{token.Value}'";
        if (type == typeof(Guid) && !Guid.TryParse(token.Value, out _))
            return $"{option.Option.Name} takes an id like 3f2504e0-4f89-41d3-9a0c-0305e82c3301, not '{token.Value}'";
        return error.Message;
    }
}
