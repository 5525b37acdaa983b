using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Vouch.Cli.Agent;
using Vouch.Cli.Configuration;
using Vouch.Cli.Server;
using Vouch.Protocol;

namespace Vouch.Cli.Commands;

/// <summary><c>vouch login [--server URL]</c>: touch + PIN, then hands the 8-hour session to the agent (memory only).</summary>
internal static class LoginCommand
{
    public static Command Create(CliContext context)
    {
        var server = new Option<string?>("--server") { Description = "the Vouch server URL (default: the one you enrolled with)" };
        var command = new Command("login", "Log in with your YubiKey (touch + PIN) for 8 hours") { server };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var config = CliConfig.Load(context.Paths);
            var url = CliConfig.ResolveServer(parse.GetValue(server), context.Environment, config);
            var client = new VouchServerClient(context.Connections, url);
            var started = await client.PostAsync(ApiRoutes.LoginOptions, new LoginOptionsRequest(null),
                ProtocolJsonContext.Default.LoginOptionsRequest, ProtocolJsonContext.Default.CeremonyOptionsResponse, null, cancellationToken);
            var assertion = context.Authenticator().GetAssertion(started.Options, client.Origin);
            var login = await client.PostAsync(ApiRoutes.Login,
                new LoginRequest(started.Ceremony, JsonDocument.Parse(assertion.ToJsonString()).RootElement),
                ProtocolJsonContext.Default.LoginRequest, ProtocolJsonContext.Default.LoginResponse, null, cancellationToken);

            await AgentClient.EnsureRunningAsync(context.Paths, cancellationToken);
            var stored = await AgentClient.SendAsync(context.Paths, new AgentRequest
            {
                Op = AgentOperations.Login, Server = url, Session = login.Session, Email = login.Email, ExpiresAt = login.ExpiresAt,
            }, cancellationToken);
            if (stored is { Ok: false, Error: AgentErrors.Internal }) throw AgentClient.Refusal(stored);
            if (stored is not { Ok: true })
                throw new CliException(FailureKind.Failed, $"the vouch agent did not take the session: {stored?.Message ?? "no answer"}");
            if (config.Server != url) (config with { Server = url }).Save(context.Paths);
            context.Console.Errors.WriteLine(
                $"Logged in as {login.Email} until {login.ExpiresAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
