using System.CommandLine;
using Vouch.Server.Audit;
using Vouch.Server.Users;

namespace Vouch.Server.Admin;

/// <summary><c>vouch-server credentials list [--email EMAIL] [--json] | revoke ID | unlock ID</c>: the enrolled security keys.</summary>
internal static class CredentialsCommand
{
    public static Command Create(CommandContext context)
    {
        var json = CommandOutput.JsonOption();
        var email = new Option<string?>("--email") { Description = "only this user's keys" };
        var list = new Command("list", "List the enrolled keys (revoked ones too): id, user, AAGUID, added, last used, revoked, locked") { email, json };
        list.SetAction(async (parse, cancellationToken) =>
        {
            EmailAddress? address = null;
            if (parse.GetValue(email) is { } text && (address = CommandOutput.Email(context, text, "--email")) is null) return ExitCodes.Usage;
            return await AdminServices.RunAsync<CredentialService>(parse, context, keyEncryptionKeyFor: null, async credentials =>
            {
                var listed = await credentials.ListAsync(address, cancellationToken);
                if (!listed.Succeeded) return CommandOutput.Refuse(context, listed.Problem);
                if (parse.GetValue(json)) CommandOutput.WriteJsonLines(context, listed.Value, PeopleJsonContext.Default.CredentialSummary);
                else Table(listed.Value, withEmail: true).WriteTo(context.Out);
                return ExitCodes.Ok;
            }, cancellationToken);
        });

        var id = new Argument<string>("ID") { Description = "the credential id, lowercase hex, as 'credentials list' shows it" };
        var revoke = new Command("revoke", "Revoke one key (lost or stolen): it can no longer log in, and the sessions it opened end now") { id };
        revoke.SetAction((parse, cancellationToken) =>
        {
            var text = parse.GetValue(id)!;
            // Checked before the database is opened, so that a typo is a usage error wherever the database is.
            if (CredentialService.TryParseId(text) is null)
                return Task.FromResult(CommandOutput.Refuse(context, CredentialService.Malformed(text)));
            return AdminServices.RunAsync<CredentialService>(parse, context, keyEncryptionKeyFor: AdminServices.ToWriteTheAuditLog, async credentials =>
            {
                var revoked = await credentials.RevokeAsync(text, AuditActors.Admin, cancellationToken);
                if (!revoked.Succeeded) return CommandOutput.Refuse(context, revoked.Problem);
                var key = revoked.Value.Credential;
                context.Out.WriteLine(revoked.Value.Changed
                    ? $"revoked credential {key.Id} of {key.Email}; revoked {CommandOutput.Count(revoked.Value.SessionsRevoked, "session")}"
                    : $"credential {key.Id} of {key.Email} was already revoked at {CommandOutput.Time(key.RevokedAt)}");
                return ExitCodes.Ok;
            }, cancellationToken);
        });

        var unlock = new Command("unlock", "Unlock a key locked as a suspected copy (its sign counter went backwards): it can log in again") { id };
        unlock.SetAction((parse, cancellationToken) =>
        {
            var text = parse.GetValue(id)!;
            if (CredentialService.TryParseId(text) is null)
                return Task.FromResult(CommandOutput.Refuse(context, CredentialService.Malformed(text)));
            return AdminServices.RunAsync<CredentialService>(parse, context, keyEncryptionKeyFor: AdminServices.ToWriteTheAuditLog, async credentials =>
            {
                var unlocked = await credentials.UnlockAsync(text, AuditActors.Admin, cancellationToken);
                if (!unlocked.Succeeded) return CommandOutput.Refuse(context, unlocked.Problem);
                var key = unlocked.Value.Credential;
                context.Out.WriteLine(unlocked.Value.Changed
                    ? $"unlocked credential {key.Id} of {key.Email}"
                    : $"credential {key.Id} of {key.Email} is not locked");
                return ExitCodes.Ok;
            }, cancellationToken);
        });

        return new Command("credentials", "The enrolled security keys") { list, revoke, unlock };
    }

    /// <summary>Keys as a table, with their users' emails when they are not all one user's.</summary>
    public static TextTable Table(IEnumerable<CredentialSummary> keys, bool withEmail)
    {
        string[] columns = ["ID", "EMAIL", "AAGUID", "ADDED", "LAST USED", "REVOKED", "LOCKED"];
        var table = new TextTable(withEmail ? columns : [.. columns.Where(c => c != "EMAIL")]);
        foreach (var key in keys)
        {
            string[] cells = [key.Id, key.Email, key.AaGuid.ToString(), CommandOutput.Time(key.AddedAt), CommandOutput.Time(key.LastUsedAt), CommandOutput.Time(key.RevokedAt), CommandOutput.Time(key.LockedAt)];
            table.Add(withEmail ? cells : [.. cells.Where((_, i) => i != 1)]);
        }
        return table;
    }
}
