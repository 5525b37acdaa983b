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

/// <summary>What <c>vouch status</c> says for the agent's answer, shared by the command and the hot path (<see cref="HotPath"/>).</summary>
internal static class StatusReport
{
    /// <summary>
    /// Writes what <c>vouch status</c> says for <paramref name="response"/> (null: no agent) and returns its exit code;
    /// a failure other than "not logged in" is the <see cref="CliException"/> of <see cref="AgentClient.Refusal"/>.
    /// </summary>
    public static int Write(AgentResponse? response, bool json, TextWriter output, TextWriter errors)
    {
        // Only a missing session is "not logged in"; any other failure (the agent failed, say) is reported as itself.
        if (response is { Ok: false } && response.Error != AgentErrors.NotLoggedIn) throw AgentClient.Refusal(response);
        var view = response is { Ok: true }
            ? new StatusView(true, response.Email, response.Server, response.ExpiresAt)
            : new StatusView(false, null, null, null);
        if (response is { Ok: true, Message: { } unconfirmed })
            errors.WriteLine($"vouch: could not confirm the session with the server: {unconfirmed}");
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(view, CliJsonContext.Default.StatusView));
        }
        else if (view.LoggedIn)
        {
            output.WriteLine($"Logged in as {view.Email} on {view.Server} until {view.ExpiresAt!.Value.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}");
        }
        else
        {
            errors.WriteLine($"vouch: {response?.Message ?? AgentErrors.NotLoggedInMessage}");
        }
        return view.LoggedIn ? ExitCodes.Ok : ExitCodes.NotLoggedIn;
    }
}
