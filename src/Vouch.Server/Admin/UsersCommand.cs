using System.CommandLine;
using System.Text.Json;
using Vouch.Server.Audit;
using Vouch.Server.Users;

namespace Vouch.Server.Admin;

/// <summary><c>vouch-server users list [--json] | show EMAIL [--json] | disable EMAIL | enable EMAIL | promote EMAIL | demote EMAIL</c>.</summary>
internal static class UsersCommand
{
    public static Command Create(CommandContext context)
    {
        var listJson = CommandOutput.JsonOption();
        var list = new Command("list", "List the users: domain, keys in use, last login, state") { listJson };
        list.SetAction((parse, cancellationToken) => AdminServices.RunAsync<UserService>(parse, context, keyEncryptionKeyFor: null,
            async users => List(context, await users.ListAsync(cancellationToken), parse.GetValue(listJson)), cancellationToken));

        var showJson = CommandOutput.JsonOption();
        var showEmail = EmailArgument();
        var show = new Command("show", "Show a user: their keys (revoked ones too), live sessions and last login") { showEmail, showJson };
        show.SetAction((parse, cancellationToken) => WithUserAsync(parse, context, showEmail, null, async (users, email) =>
        {
            var shown = await users.ShowAsync(email, cancellationToken);
            return shown.Succeeded ? Show(context, shown.Value, parse.GetValue(showJson)) : CommandOutput.Refuse(context, shown.Problem);
        }, cancellationToken));

        var disableEmail = EmailArgument();
        var disable = new Command("disable", "Disable a user: no login, token or enrollment, and every live session ends now") { disableEmail };
        disable.SetAction((parse, cancellationToken) => WithUserAsync(parse, context, disableEmail, AdminServices.ToWriteTheAuditLog, async (users, email) =>
            Changed(context, email, "disabled", await users.DisableAsync(email, AuditActors.Admin, cancellationToken)), cancellationToken));

        var enableEmail = EmailArgument();
        var enable = new Command("enable", "Enable a disabled user: they can log in again (old sessions stay revoked)") { enableEmail };
        enable.SetAction((parse, cancellationToken) => WithUserAsync(parse, context, enableEmail, AdminServices.ToWriteTheAuditLog, async (users, email) =>
            Changed(context, email, "enabled", await users.EnableAsync(email, AuditActors.Admin, cancellationToken)), cancellationToken));

        var promoteEmail = EmailArgument();
        var promote = new Command("promote", "Make a user an administrator: they can use the web console at /admin") { promoteEmail };
        promote.SetAction((parse, cancellationToken) => WithUserAsync(parse, context, promoteEmail, AdminServices.ToWriteTheAuditLog, async (users, email) =>
            Changed(context, email, "an administrator", await users.PromoteAsync(email, AuditActors.Admin, cancellationToken)), cancellationToken));

        var demoteEmail = EmailArgument();
        var demote = new Command("demote", "Make an administrator an ordinary user again (never the last administrator)") { demoteEmail };
        demote.SetAction((parse, cancellationToken) => WithUserAsync(parse, context, demoteEmail, AdminServices.ToWriteTheAuditLog, async (users, email) =>
            Changed(context, email, "not an administrator", await users.DemoteAsync(email, AuditActors.Admin, cancellationToken)), cancellationToken));

        return new Command("users", "The people who can log in") { list, show, disable, enable, promote, demote };
    }

    private static Argument<string> EmailArgument() => new("EMAIL") { Description = "the user's email" };

    private static async Task<int> WithUserAsync(
        ParseResult parse, CommandContext context, Argument<string> argument, string? keyEncryptionKeyFor, Func<UserService, EmailAddress, Task<int>> run, CancellationToken cancellationToken)
    {
        if (CommandOutput.Email(context, parse.GetValue(argument)) is not { } email) return ExitCodes.Usage;
        return await AdminServices.RunAsync<UserService>(parse, context, keyEncryptionKeyFor, users => run(users, email), cancellationToken);
    }

    private static int List(CommandContext context, IReadOnlyList<UserSummary> users, bool json)
    {
        if (json)
        {
            CommandOutput.WriteJsonLines(context, users, PeopleJsonContext.Default.UserSummary);
            return ExitCodes.Ok;
        }
        var table = new TextTable("EMAIL", "DOMAIN", "KEYS", "LAST LOGIN", "STATE", "ADMIN");
        foreach (var user in users)
            table.Add(user.Email, user.Domain, user.Keys.ToString(System.Globalization.CultureInfo.InvariantCulture), CommandOutput.Time(user.LastLoginAt), State(user), user.IsAdmin ? "yes" : "no");
        table.WriteTo(context.Out);
        return ExitCodes.Ok;
    }

    private static int Show(CommandContext context, UserDetails details, bool json)
    {
        if (json)
        {
            context.Out.WriteLine(JsonSerializer.Serialize(details, PeopleJsonContext.Default.UserDetails));
            return ExitCodes.Ok;
        }
        var user = details.User;
        var output = context.Out;
        output.WriteLine($"email       {user.Email}");
        output.WriteLine($"domain      {user.Domain}");
        output.WriteLine($"created     {CommandOutput.Time(user.CreatedAt)}");
        output.WriteLine($"last login  {(user.LastLoginAt is { } last ? CommandOutput.Time(last) : "never")}");
        output.WriteLine($"admin       {(user.IsAdmin ? "yes" : "no")}");
        output.WriteLine($"state       {State(user)}{(user.DisabledAt is { } at ? $" since {CommandOutput.Time(at)} by {user.DisabledBy}" : "")}");
        output.WriteLine();
        output.WriteLine("keys");
        CredentialsCommand.Table(details.Keys, withEmail: false).WriteTo(output, "  ");
        output.WriteLine();
        output.WriteLine("live sessions");
        var sessions = new TextTable("ID", "CREATED", "EXPIRES");
        foreach (var session in details.Sessions) sessions.Add(session.Id.ToString(), CommandOutput.Time(session.CreatedAt), CommandOutput.Time(session.ExpiresAt));
        sessions.WriteTo(output, "  ");
        return ExitCodes.Ok;
    }

    private static int Changed(CommandContext context, EmailAddress email, string done, Outcome<UserStateChange> change)
    {
        if (!change.Succeeded) return CommandOutput.Refuse(context, change.Problem);
        if (!change.Value.Changed)
            context.Out.WriteLine($"{email} is already {done}");
        else if (done == "disabled")
            context.Out.WriteLine($"disabled {email}; revoked {CommandOutput.Count(change.Value.SessionsRevoked, "session")}");
        else if (done == "enabled")
            context.Out.WriteLine($"enabled {email}; they can log in again (sessions revoked earlier stay revoked)");
        else if (done == "an administrator")
            context.Out.WriteLine($"promoted {email}; they can use the web console at /admin");
        else
            context.Out.WriteLine($"demoted {email}; they are an ordinary user now");
        return ExitCodes.Ok;
    }

    private static string State(UserSummary user) => user.DisabledAt is null ? "active" : "disabled";
}
