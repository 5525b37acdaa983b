using System.CommandLine;
using Vouch.Cli.Agent;

namespace Vouch.Cli.Commands;

/// <summary><c>vouch logout</c>: the agent forgets the session.</summary>
internal static class LogoutCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("logout", "Forget the session held by the agent");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var response = await AgentClient.SendAsync(context.Paths, new AgentRequest { Op = AgentOperations.Logout }, cancellationToken);
            context.Console.Errors.WriteLine(response is null ? "Not logged in." : "Logged out.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
