using System.CommandLine;
using Vouch.Server.Aws;
using Vouch.Server.Hosting;
using Vouch.Server.Oidc;

namespace Vouch.Server.Admin;

/// <summary>
/// <c>vouch-server aws setup</c> (the OIDC provider and a role, as AWS CLI commands, CloudFormation or Terraform)
/// and <c>vouch-server aws thumbprint</c>, with the issuer and audience of the same settings as <c>serve</c>.
/// </summary>
internal static class AwsCommand
{
    /// <summary>What a loopback (http) issuer gets as thumbprint: it has no certificate, and Ceph RGW wants one.</summary>
    private const string NoCertificateThumbprint = "0000000000000000000000000000000000000000";

    public static Command Create(CommandContext context)
    {
        var issuer = new Option<string?>("--issuer") { Description = "issuer URL (default: the server's settings, VOUCH_ISSUER or the config file)" };
        var audience = new Option<string?>("--audience") { Description = "the tokens' aud, AWS's client id (default: the server's settings)" };

        var format = new Option<string>("--format") { Description = "cli (AWS CLI commands), cloudformation or terraform", DefaultValueFactory = _ => "cli" };
        format.AcceptOnlyFromAmong("cli", "cloudformation", "terraform");
        var roleName = new Option<string>("--role-name") { Description = "the role's name", DefaultValueFactory = _ => "VouchDeveloper" };
        var accountId = new Option<string?>("--account-id") { Description = "the 12-digit AWS account id (default: looked up when applied; '' for Ceph RGW)" };
        var emails = new Option<string[]>("--restrict-email") { Description = "only this user may assume the role (repeat for more)", DefaultValueFactory = _ => [] };
        var domains = new Option<string[]>("--restrict-domain") { Description = "only users of this email domain may (repeat for more)", DefaultValueFactory = _ => [] };
        var policies = new Option<string[]>("--policy-arn") { Description = "a managed policy to attach (repeat for more)", DefaultValueFactory = _ => [] };
        var maxSession = new Option<int>("--max-session-duration") { Description = "the role's longest session in seconds (3600 to 43200)", DefaultValueFactory = _ => 3600 };
        var thumbprint = new Option<string?>("--thumbprint") { Description = "the issuer's certificate thumbprint, when it cannot be fetched from here" };
        var setup = new Command("setup", "Print the OIDC provider and a role for this issuer, ready to apply")
        {
            issuer, audience, format, roleName, accountId, emails, domains, policies, maxSession, thumbprint,
        };
        setup.SetAction(async (parse, cancellationToken) =>
        {
            var resolved = Resolve(parse, context, issuer, audience);
            if (!resolved.Succeeded) return CommonOptions.Report(context, resolved.Problems);
            var (issuerUrl, audienceValue, sourceIdentity) = resolved.Value;
            var print = parse.GetValue(thumbprint)?.Trim().ToLowerInvariant();
            if (print is null)
            {
                var fetched = await ThumbprintAsync(context, issuerUrl, cancellationToken);
                if (!fetched.Succeeded) return Fail(context, fetched.Problem);
                print = fetched.Value;
            }
            var spec = new AwsRoleSpec
            {
                Issuer = issuerUrl, Audience = audienceValue, Thumbprint = print, SourceIdentity = sourceIdentity,
                RoleName = parse.GetValue(roleName)!, AccountId = parse.GetValue(accountId)?.Trim(),
                Emails = parse.GetValue(emails)!.Select(e => e.Trim().ToLowerInvariant()).ToList(),
                Domains = parse.GetValue(domains)!.Select(d => d.Trim().ToLowerInvariant()).ToList(),
                PolicyArns = parse.GetValue(policies)!, MaxSessionDuration = parse.GetValue(maxSession),
            };
            var errors = spec.Validate();
            if (errors.Count > 0)
            {
                foreach (var error in errors) context.Error.WriteLine($"vouch-server: {error}");
                return ExitCodes.Usage;
            }
            var chosen = parse.GetValue(format) switch
            {
                "cloudformation" => AwsSetupFormat.CloudFormation,
                "terraform" => AwsSetupFormat.Terraform,
                _ => AwsSetupFormat.Cli,
            };
            context.Out.Write(AwsSetupFormats.Render(spec, chosen));
            return ExitCodes.Ok;
        });

        var thumbprintIssuer = new Option<string?>("--issuer") { Description = "issuer URL (default: the server's settings)" };
        var print = new Command("thumbprint", "Print the SHA-1 thumbprint AWS keeps for the issuer's TLS chain (its top intermediate CA)") { thumbprintIssuer };
        print.SetAction(async (parse, cancellationToken) =>
        {
            var resolved = Resolve(parse, context, thumbprintIssuer, null);
            if (!resolved.Succeeded) return CommonOptions.Report(context, resolved.Problems);
            var fetched = await IssuerThumbprint.FetchAsync(resolved.Value.Issuer, cancellationToken);
            if (!fetched.Succeeded) return Fail(context, fetched.Problem, alternative: null);
            context.Out.WriteLine(fetched.Value);
            return ExitCodes.Ok;
        });
        return new Command("aws", "Set up AWS to trust this server") { setup, print };
    }

    /// <summary>The issuer and audience as <c>serve</c> would resolve them, and whether tokens carry a source identity.</summary>
    private static Outcome<(string Issuer, string Audience, bool SourceIdentity)> Resolve(
        ParseResult parse, CommandContext context, Option<string?> issuer, Option<string?>? audience)
    {
        var options = CommonOptions.Load(parse, context,
            (SettingNames.Issuer.Key, parse.GetValue(issuer)),
            (SettingNames.Audience.Key, audience is null ? null : parse.GetValue(audience)));
        if (!options.Succeeded) return Outcome<(string, string, bool)>.Fail(options.Problems);
        var url = options.Value.Issuer?.Trim();
        if (string.IsNullOrEmpty(url))
        {
            if (!options.Value.Development) return SettingProblem.Of($"issuer {SettingNames.Issuer} is required");
            url = ServerSettings.DevelopmentIssuer;
        }
        if (IssuerUrl.Validate(url) is { } error) return SettingProblem.Of(error);
        var audienceValue = options.Value.Audience?.Trim() is { Length: > 0 } given ? given : IssuerUrl.DefaultAudience(url);
        // The same rule as serve, and nothing a generated script or template could read as code.
        if (audienceValue.Length > 256 || audienceValue.Any(c => char.IsControl(c) || c is '\'' or '"' or '\\' or '$' or '`' or '%'))
            return SettingProblem.Of($"audience {SettingNames.Audience} must be 1 to 256 printable characters without quotes, '\\', '$', '`' or '%'");
        return (url, audienceValue, options.Value.SourceIdentity);
    }

    private static async Task<Outcome<string>> ThumbprintAsync(CommandContext context, string issuer, CancellationToken cancellationToken)
    {
        if (issuer.StartsWith("https://", StringComparison.Ordinal)) return await IssuerThumbprint.FetchAsync(issuer, cancellationToken);
        context.Error.WriteLine($"vouch-server: {issuer} has no TLS certificate (a loopback development issuer): the thumbprint is a placeholder, which AWS itself would refuse to reach");
        return NoCertificateThumbprint;
    }

    /// <summary>Says why on stderr, with <paramref name="alternative"/> when the command has one (only <c>aws setup</c> takes <c>--thumbprint</c>).</summary>
    private static int Fail(CommandContext context, Problem problem, string? alternative = "or pass --thumbprint")
    {
        context.Error.WriteLine($"vouch-server: {problem.Description}{(alternative is null ? "" : $" ({alternative})")}");
        return ExitCodes.Failed;
    }
}
