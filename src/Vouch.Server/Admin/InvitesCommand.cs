using System.CommandLine;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Server.Users;

namespace Vouch.Server.Admin;

/// <summary><c>vouch-server invites list [--json] | revoke ID</c>: the enrollment invites (never their codes).</summary>
internal static class InvitesCommand
{
    public static Command Create(CommandContext context)
    {
        var json = CommandOutput.JsonOption();
        var list = new Command("list", "List the invites, oldest first: id, email, created, expires, state (pending, used, expired, revoked)") { json };
        list.SetAction((parse, cancellationToken) => AdminServices.RunAsync<InviteService>(parse, context, keyEncryptionKeyFor: null, async invites =>
        {
            var all = await invites.ListAsync(cancellationToken);
            if (parse.GetValue(json))
            {
                CommandOutput.WriteJsonLines(context, all, PeopleJsonContext.Default.InviteSummary);
                return ExitCodes.Ok;
            }
            var table = new TextTable("ID", "EMAIL", "CREATED", "EXPIRES", "STATE");
            foreach (var invite in all)
                table.Add(invite.Id.ToString(), invite.Email, CommandOutput.Time(invite.CreatedAt), CommandOutput.Time(invite.ExpiresAt), invite.State);
            table.WriteTo(context.Out);
            return ExitCodes.Ok;
        }, cancellationToken));

        var id = new Argument<string>("ID") { Description = "the invite's id, as 'invites list' shows it" };
        var revoke = new Command("revoke", "Revoke an unused invite: its code can no longer enroll a key") { id };
        revoke.SetAction((parse, cancellationToken) =>
        {
            var text = parse.GetValue(id);
            if (!Guid.TryParseExact(text, "D", out var inviteId))
            {
                return Task.FromResult(CommandOutput.Refuse(context,
                    new Problem(ErrorCodes.InvalidRequest, $"'{text}' is not an invite id, as 'vouch-server invites list' shows it")));
            }
            return AdminServices.RunAsync<InviteService>(parse, context, keyEncryptionKeyFor: AdminServices.ToWriteTheAuditLog, async invites =>
            {
                var revoked = await invites.RevokeAsync(inviteId, AuditActors.Admin, cancellationToken);
                if (!revoked.Succeeded) return CommandOutput.Refuse(context, revoked.Problem);
                var invite = revoked.Value.Invite;
                context.Out.WriteLine(revoked.Value.Changed
                    ? $"revoked invite {invite.Id} for {invite.Email}"
                    : $"invite {invite.Id} for {invite.Email} was already revoked");
                return ExitCodes.Ok;
            }, cancellationToken);
        });

        return new Command("invites", "The enrollment invites") { list, revoke };
    }
}
