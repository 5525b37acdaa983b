using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Vouch.Authenticators;
using Vouch.Cli.Commands;

namespace Vouch.Cli;

/// <summary>
/// The <c>vouch</c> command line. Expected failures (<see cref="CliException"/>, <see cref="AuthenticatorException"/>)
/// print one line to stderr and exit with their code.
/// </summary>
public static class VouchCommandLine
{
    public static RootCommand Create(CliContext context) => new("Vouch: short-lived AWS credentials backed by your YubiKey")
    {
        EnrollCommand.Create(context),
        LoginCommand.Create(context),
        LogoutCommand.Create(context),
        StatusCommand.Create(context),
        CredentialCommand.Create(context),
        SetupAwsCommand.Create(context),
        ExecCommand.Create(context),
        ConsoleCommand.Create(context),
        DoctorCommand.Create(context),
        AgentCommand.Create(context),
    };

    public static async Task<int> InvokeAsync(string[] args, CliContext context)
    {
        var parse = Create(context).Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) context.Console.Errors.WriteLine($"vouch: {Describe(error)}");
            context.Console.Errors.WriteLine("Run 'vouch --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = context.Console.Out,
                Error = context.Console.Errors,
                EnableDefaultExceptionHandler = false,
            });
        }
        catch (CliException e)
        {
            return Fail(context, e.Message, e.ExitCode);
        }
        catch (AuthenticatorException e)
        {
            return Fail(context, e.Message, e.Failure switch
            {
                AuthenticatorFailure.BadConfiguration => ExitCodes.BadConfiguration,
                _ => ExitCodes.NoKey,
            });
        }
    }

    /// <summary>The parser's sentence, except that a value that is not a number names the option, not <c>System.Int32</c>.</summary>
    private static string Describe(ParseError error)
    {
        var option = error.SymbolResult as OptionResult ?? (error.SymbolResult as ArgumentResult)?.Parent as OptionResult;
        return option is { Tokens: [var token] } && option.Option.ValueType == typeof(int)
            && !int.TryParse(token.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
            ? $"{option.Option.Name} takes a whole number, not '{token.Value}'"
            : error.Message;
    }

    private static int Fail(CliContext context, string message, int exitCode)
    {
        context.Console.Errors.WriteLine($"vouch: {message}");
        return exitCode;
    }
}
