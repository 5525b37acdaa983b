using System.CommandLine;
using System.Text.Json;
using Vouch.Cli.Configuration;
using Vouch.Cli.Server;
using Vouch.Protocol;

namespace Vouch.Cli.Commands;

/// <summary><c>vouch enroll --server URL --invite CODE</c>: registers the security key; remembers the server.</summary>
internal static class EnrollCommand
{
    public static Command Create(CliContext context)
    {
        var server = new Option<string>("--server") { Description = "the Vouch server URL, e.g. https://vouch.example.com", Required = true };
        var invite = new Option<string>("--invite") { Description = "the one-time code from your administrator", Required = true };
        var command = new Command("enroll", "Register your YubiKey with a Vouch server, using an invite code") { server, invite };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var config = CliConfig.Load(context.Paths);
            var url = CliConfig.ResolveServer(parse.GetValue(server), context.Environment, config);
            var client = new VouchServerClient(context.Connections, url);
            var started = await client.PostAsync(ApiRoutes.EnrollOptions, new EnrollOptionsRequest(parse.GetValue(invite)!.Trim()),
                ProtocolJsonContext.Default.EnrollOptionsRequest, ProtocolJsonContext.Default.CeremonyOptionsResponse, null, cancellationToken);
            var credential = context.Authenticator().MakeCredential(started.Options, client.Origin);
            var enrolled = await client.PostAsync(ApiRoutes.Enroll,
                new EnrollRequest(started.Ceremony, JsonDocument.Parse(credential.ToJsonString()).RootElement),
                ProtocolJsonContext.Default.EnrollRequest, ProtocolJsonContext.Default.EnrollResponse, null, cancellationToken);
            (config with { Server = url }).Save(context.Paths);
            context.Console.Errors.WriteLine($"Enrolled {enrolled.Email} on {url}. Next: vouch login");
            return ExitCodes.Ok;
        });
        return command;
    }
}
