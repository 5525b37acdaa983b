using System.CommandLine;
using System.Text.Json;
using Vouch.Cli.Configuration;
using Vouch.Cli.Server;
using Vouch.Protocol;

namespace Vouch.Cli.Commands;

/// <summary>
/// <c>vouch enroll --server URL</c>: registers the security key with the invite code (asked without echo, read from
/// stdin or <c>--invite-file</c>, see <see cref="InviteSource"/>); remembers the server.
/// </summary>
internal static class EnrollCommand
{
    public static Command Create(CliContext context)
    {
        var server = new Option<string>("--server") { Description = "the Vouch server URL, e.g. https://vouch.example.com", Required = true };
        var invite = new Option<string>("--invite") { Description = "the one-time code (visible to other local users while enroll runs: prefer the prompt, stdin or --invite-file)" };
        var inviteFile = new Option<string>("--invite-file") { Description = "read the code from the first line of FILE (readable by you only)" };
        var command = new Command("enroll", "Register your YubiKey with a Vouch server, using an invite code (asked for, or read from stdin)") { server, invite, inviteFile };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var code = InviteSource.Read(context.Console, parse.GetValue(invite), parse.GetValue(inviteFile));
            var config = CliConfig.Load(context.Paths);
            var url = CliConfig.ResolveServer(parse.GetValue(server), context.Environment, config);
            var client = new VouchServerClient(context.Connections, url);
            var started = await client.PostAsync(ApiRoutes.EnrollOptions, new EnrollOptionsRequest(code),
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
