using System.CommandLine;
using Vouch.Cli.Agent;

namespace Vouch.Cli.Commands;

/// <summary><c>vouch credential token [--audience AUD]</c>: a fresh ID token for the session, alone on stdout.</summary>
internal static class CredentialCommand
{
    public static Command Create(CliContext context)
    {
        var audience = new Option<string?>("--audience") { Description = "the token's aud (default: the server's)" };
        var token = new Command("token", "Print a fresh Vouch ID token for the session, alone on stdout") { audience };
        token.SetAction(async (parse, cancellationToken) =>
        {
            var response = await AgentClient.SendAsync(context.Paths, new AgentRequest { Op = AgentOperations.Token, Audience = parse.GetValue(audience) }, cancellationToken)
                ?? throw new CliException(ExitCodes.NotLoggedIn, "not logged in: run 'vouch login'");
            if (!response.Ok)
            {
                throw new CliException(response.Error switch
                {
                    AgentErrors.NotLoggedIn => ExitCodes.NotLoggedIn,
                    AgentErrors.ServerUnreachable => ExitCodes.ServerUnreachable,
                    _ => ExitCodes.Refused,
                }, response.Message ?? response.Error ?? "the agent refused");
            }
            context.Console.Out.WriteLine(response.IdToken);
            return ExitCodes.Ok;
        });
        return new Command("credential", "Print credentials for other programs") { token };
    }
}
