using System.CommandLine;
using Vouch.Server.Audit;
using Vouch.Server.Users;

namespace Vouch.Server.Admin;

/// <summary><c>vouch-server invite --email EMAIL [--domain D] [--expires-in HOURS]</c>: prints the code alone on stdout.</summary>
internal static class InviteCommand
{
    public static Command Create(CommandContext context)
    {
        var email = new Option<string>("--email") { Description = "the invited person's email; becomes their sub", Required = true };
        var domain = new Option<string?>("--domain") { Description = "their organization domain (hd); default: the email's domain" };
        var expiresIn = new Option<int>("--expires-in")
        {
            Description = "hours until the invite expires (1 to 720)",
            DefaultValueFactory = _ => (int)InviteService.DefaultLifetime.TotalHours,
        };
        expiresIn.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 720) result.AddError("--expires-in must be 1 to 720 hours");
        });
        var command = new Command("invite", "Create a one-time enrollment code for one email") { email, domain, expiresIn };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (CommandOutput.Email(context, parse.GetValue(email), "--email") is not { } address) return ExitCodes.Usage;
            var organization = parse.GetValue(domain)?.Trim().ToLowerInvariant() ?? address.Domain;
            if (!EmailAddress.IsDomain(organization))
            {
                context.Error.WriteLine("vouch-server: --domain is not a DNS domain (like example.com)");
                return ExitCodes.Usage;
            }

            return await AdminServices.RunAsync<InviteService>(parse, context, keyEncryptionKeyFor: AdminServices.ToWriteTheAuditLog, async invites =>
            {
                var created = await invites.CreateAsync(address, organization, TimeSpan.FromHours(parse.GetValue(expiresIn)), AuditActors.Admin, cancellationToken);
                context.Out.WriteLine(created.Code);
                context.Error.WriteLine(
                    $"Invite for {created.Invite.Email} ({created.Invite.Domain}), valid until " +
                    $"{CommandOutput.Time(created.Invite.ExpiresAt)}, single use. " +
                    "Send the code privately; it is not stored and cannot be shown again.");
                if (created.ExistingUser is { } user)
                {
                    context.Error.WriteLine($"{user.Email} is an existing user: this invite adds a key to the existing user (a spare, or a replacement).");
                    if (user.DisabledAt is not null)
                        context.Error.WriteLine($"{user.Email} is disabled: enrolling is refused until 'vouch-server users enable {user.Email}'.");
                }
                return ExitCodes.Ok;
            }, cancellationToken);
        });
        return command;
    }
}
