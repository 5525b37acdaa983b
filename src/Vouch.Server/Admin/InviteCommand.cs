using System.CommandLine;
using Vouch.Server.Audit;
using Vouch.Server.Hosting;
using Vouch.Server.Oidc;
using Vouch.Server.Users;

namespace Vouch.Server.Admin;

/// <summary>
/// <c>vouch-server invite --email EMAIL [--domain D] [--expires-in HOURS] [--issuer URL] [--link]</c>: prints the code
/// alone on stdout (scripts rely on it) and the enroll link <c>ISSUER/enroll#code=CODE</c> on stderr; with
/// <c>--link</c>, the link alone on stdout instead.
/// </summary>
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
            if (!CommandOutput.NotANumber(result) && result.GetValueOrDefault<int>() is < 1 or > 720) result.AddError("--expires-in must be 1 to 720 hours");
        });
        var issuer = new Option<string?>("--issuer") { Description = "issuer URL for the enroll link (default: the server's settings)" };
        var link = new Option<bool>("--link") { Description = "print the enroll link ISSUER/enroll#code=CODE on stdout instead of the code" };
        var command = new Command("invite", "Create a one-time enrollment code for one email") { email, domain, expiresIn, issuer, link };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (CommandOutput.Email(context, parse.GetValue(email), "--email") is not { } address) return ExitCodes.Usage;
            var issuerUrl = Issuer(parse, context, issuer, out var issuerError);
            if (issuerError is not null)
            {
                context.Error.WriteLine($"vouch-server: {issuerError}");
                return ExitCodes.BadConfiguration;
            }
            if (issuerUrl is null && parse.GetValue(link))
            {
                context.Error.WriteLine($"vouch-server: --link needs the issuer: pass --issuer URL or set {SettingNames.Issuer.EnvironmentVariable} (\"{SettingNames.Issuer.Key}\" in the config file)");
                return ExitCodes.BadConfiguration;
            }
            var organization = parse.GetValue(domain)?.Trim().ToLowerInvariant() ?? address.Domain;
            if (!EmailAddress.IsDomain(organization))
            {
                context.Error.WriteLine("vouch-server: --domain is not a DNS domain (like example.com)");
                return ExitCodes.Usage;
            }

            return await AdminServices.RunAsync<InviteService>(parse, context, keyEncryptionKeyFor: AdminServices.ToWriteTheAuditLog, async invites =>
            {
                var created = await invites.CreateAsync(address, organization, TimeSpan.FromHours(parse.GetValue(expiresIn)), AuditActors.Admin, cancellationToken);
                var enrollLink = issuerUrl is null ? null : InviteService.EnrollLink(issuerUrl, created.Code);
                context.Out.WriteLine(parse.GetValue(link) ? enrollLink : created.Code);
                context.Error.WriteLine(
                    $"Invite for {created.Invite.Email} ({created.Invite.Domain}), valid until " +
                    $"{CommandOutput.Time(created.Invite.ExpiresAt)}, single use. " +
                    "Send it privately; it is not stored and cannot be shown again.");
                if (enrollLink is not null && !parse.GetValue(link))
                    context.Error.WriteLine($"Enroll in a browser: {enrollLink}");
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

    /// <summary>
    /// The issuer from --issuer, the settings or --development, or null when none is set; an invalid one is an error
    /// (<paramref name="error"/>), so that no wrong link is ever printed.
    /// </summary>
    private static string? Issuer(ParseResult parse, CommandContext context, Option<string?> flag, out string? error)
    {
        error = null;
        var options = CommonOptions.Load(parse, context, (SettingNames.Issuer.Key, parse.GetValue(flag)));
        if (!options.Succeeded) return null;
        var url = options.Value.Issuer?.Trim();
        if (string.IsNullOrEmpty(url)) return options.Value.Development ? ServerSettings.DevelopmentIssuer : null;
        error = IssuerUrl.Validate(url);
        return error is null ? url : null;
    }
}
