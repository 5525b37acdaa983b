using System.CommandLine;
using Vouch.Cli.Agent;

namespace Vouch.Cli.Commands;

/// <summary><c>vouch logout</c>: ends the session on the server and the agent forgets it.</summary>
internal static class LogoutCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("logout", "End the session: on the server, and in the agent's memory");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var response = await AgentClient.SendAsync(context.Paths, new AgentRequest { Op = AgentOperations.Logout }, cancellationToken);
            if (response is { Ok: false }) throw AgentClient.Refusal(response);
            if (response is null or { Email: null })
            {
                context.Console.Errors.WriteLine("Not logged in.");
            }
            else if (response.Message is { } problem)
            {
                context.Console.Errors.WriteLine($"Logged out here, but the server was not told ({problem}); the session stays valid on the server until {response.ExpiresAt:yyyy-MM-dd HH:mm}Z unless an administrator revokes it.");
                return ExitCodes.ServerUnreachable;
            }
            else
            {
                context.Console.Errors.WriteLine($"Logged out {response.Email}.");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
