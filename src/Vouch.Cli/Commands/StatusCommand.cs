using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Vouch.Cli.Agent;

namespace Vouch.Cli.Commands;

/// <summary>What <c>vouch status --json</c> prints.</summary>
public sealed record StatusView(
    [property: JsonPropertyName("logged_in")] bool LoggedIn,
    [property: JsonPropertyName("email")] string? Email,
    [property: JsonPropertyName("server")] string? Server,
    [property: JsonPropertyName("expires_at")] DateTimeOffset? ExpiresAt);

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
            // Only a missing session is "not logged in"; any other failure (the agent failed, say) is reported as itself.
            if (response is { Ok: false } && response.Error != AgentErrors.NotLoggedIn) throw AgentClient.Refusal(response);
            var view = response is { Ok: true }
                ? new StatusView(true, response.Email, response.Server, response.ExpiresAt)
                : new StatusView(false, null, null, null);
            if (response is { Ok: true, Message: { } unconfirmed })
                context.Console.Errors.WriteLine($"vouch: could not confirm the session with the server: {unconfirmed}");
            if (parse.GetValue(json))
            {
                context.Console.Out.WriteLine(JsonSerializer.Serialize(view, CliJsonContext.Default.StatusView));
            }
            else if (view.LoggedIn)
            {
                context.Console.Out.WriteLine($"Logged in as {view.Email} on {view.Server} until {view.ExpiresAt!.Value.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}");
            }
            else
            {
                context.Console.Errors.WriteLine(response?.Message ?? AgentErrors.NotLoggedInMessage);
            }
            return view.LoggedIn ? ExitCodes.Ok : ExitCodes.NotLoggedIn;
        });
        return command;
    }
}
