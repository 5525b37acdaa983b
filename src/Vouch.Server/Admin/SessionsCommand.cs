using System.CommandLine;
using Vouch.Server.Audit;
using Vouch.Server.Sessions;
using Vouch.Server.Users;

namespace Vouch.Server.Admin;

/// <summary><c>vouch-server sessions revoke (--email EMAIL | --id SESSION-ID)</c>: ends live sessions at once.</summary>
internal static class SessionsCommand
{
    public static Command Create(CommandContext context)
    {
        var email = new Option<string?>("--email") { Description = "revoke every live session of this user" };
        var id = new Option<Guid?>("--id") { Description = "revoke one session by its id (from the audit log)" };
        var revoke = new Command("revoke", "Revoke sessions: their tokens stop working immediately") { email, id };
        revoke.Validators.Add(result =>
        {
            // GetResult, not GetValue: a malformed --id must reach the parser's own error, not throw here.
            if ((result.GetResult(email) is null) == (result.GetResult(id) is null)) result.AddError("give exactly one of --email or --id");
        });
        revoke.SetAction(async (parse, cancellationToken) =>
        {
            EmailAddress? address = null;
            if (parse.GetValue(email) is { } text && (address = CommandOutput.Email(context, text, "--email")) is null) return ExitCodes.Usage;
            return await AdminServices.RunAsync<SessionService>(parse, context, keyEncryptionKeyFor: AdminServices.ToWriteTheAuditLog, async sessions =>
            {
                var revoked = await sessions.RevokeNamedAsync(parse.GetValue(id), address?.Value, AuditActors.Admin, cancellationToken);
                if (!revoked.Succeeded) return CommandOutput.Refuse(context, revoked.Problem);
                context.Out.WriteLine($"revoked {CommandOutput.Count(revoked.Value, "session")}");
                return ExitCodes.Ok;
            }, cancellationToken);
        });
        return new Command("sessions", "Manage login sessions") { revoke };
    }
}
