using System.CommandLine;
using Vouch.Cli.Agent;

namespace Vouch.Cli.Commands;

/// <summary>
/// <c>vouch status [--json]</c>: who is logged in, where, until when, as the agent holds it once the server confirms
/// it. Exit 3 when not logged in (or the server ended the session), 8 when the account is disabled. A server that
/// cannot be reached is said on stderr; the session held is still shown.
/// </summary>
internal static class StatusCommand
{
    public static Command Create(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "print a JSON object: logged_in, email, server, expires_at" };
        var command = new Command("status", "Show the current session") { json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var response = await AgentClient.SendAsync(context.Paths, new AgentRequest { Op = AgentOperations.Status }, cancellationToken);
            return StatusReport.Write(response, parse.GetValue(json), context.Console.Out, context.Console.Errors);
        });
        return command;
    }
}
