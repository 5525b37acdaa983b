using System.CommandLine;
using System.Globalization;
using Vouch.Cli.Aws;

namespace Vouch.Cli.Commands;

/// <summary>
/// <c>vouch setup aws --role ARN [--profile NAME] [--region R] [--force]</c>: writes a credential_process profile
/// into <c>$AWS_CONFIG_FILE</c> or <c>~/.aws/config</c>, keeping everything else in the file as it was (other Vouch
/// profiles included). The profile's region goes into the credential_process line as <c>--region</c> too: the AWS CLI
/// does not tell the process which profile it runs for. <c>vouch setup aws --list</c> prints the profiles that use
/// Vouch as a table on stdout (<see cref="Table"/>).
/// </summary>
internal static class SetupAwsCommand
{
    public const string DefaultProfile = "vouch";

    public static Command Create(CliContext context)
    {
        var role = new Option<string?>("--role") { Description = "the IAM role ARN (asked for when a terminal is attached)" };
        var profile = new Option<string?>("--profile") { Description = $"the profile name (default {DefaultProfile})" };
        var region = new Option<string?>("--region") { Description = $"the profile's region (default: the profile's current one, AWS_REGION, AWS_DEFAULT_REGION, {AwsRegion.Default})" };
        var force = new Option<bool>("--force") { Description = "replace a profile of that name that vouch did not write" };
        var list = new Option<bool>("--list") { Description = "list the profiles that get their credentials from vouch: profile, role, region, duration" };
        var aws = new Command("aws", "Write an AWS profile that gets its credentials from vouch, or list them") { role, profile, region, force, list };
        aws.SetAction((parse, cancellationToken) =>
        {
            var file = AwsConfigFile.DefaultPath(context.Environment);
            if (parse.GetValue(list))
            {
                if (parse.GetValue(role) is not null || parse.GetValue(profile) is not null || parse.GetValue(region) is not null || parse.GetValue(force))
                    throw new CliException(FailureKind.Usage, "--list takes no other option");
                var profiles = AwsConfigFile.Load(file) is { } parsed ? VouchProfile.All(parsed) : [];
                if (profiles.Count == 0)
                    context.Console.Errors.WriteLine($"No profile in {file} gets its credentials from vouch. Add one: vouch setup aws --role ARN");
                else
                    context.Console.Out.Write(Table(profiles));
                return Task.FromResult(ExitCodes.Ok);
            }

            // Read before asking anything: a file the AWS CLI cannot read is not worth writing into.
            var existing = AwsConfigFile.Load(file);
            var arn = parse.GetValue(role) ?? Ask(context, "IAM role ARN", null);
            RoleArn.Require(arn);
            var name = parse.GetValue(profile) ?? (context.Console.IsInteractive ? Ask(context, "Profile name", DefaultProfile) : DefaultProfile);
            if (string.IsNullOrWhiteSpace(name) || name.Any(c => char.IsWhiteSpace(c) || c is '[' or ']' or '"' or '\''))
                throw new CliException(FailureKind.BadConfiguration, $"--profile '{name}' must be one word without brackets or quotes");
            var chosenRegion = parse.GetValue(region);
            if (chosenRegion is null)
            {
                var suggested = Suggest(context, existing, name!);
                chosenRegion = context.Console.IsInteractive ? Ask(context, "Region", suggested) : suggested;
            }
            AwsRegion.Require(chosenRegion);

            // The small client beside the full program: what credential_process should start (FullProgram).
            var self = FullProgram.ClientPath(Environment.ProcessPath ?? throw new CliException(FailureKind.Failed, "cannot find the path of the vouch executable"));
            AwsConfigEditor.Write(file, name!, [
                new("credential_process", VouchProfile.CredentialProcess(self, arn!, chosenRegion, Previous(existing, name!)?.HandAdded())),
                new("region", chosenRegion),
            ], parse.GetValue(force));
            context.Console.Errors.WriteLine($"Wrote profile '{name}' to {file}. Try: aws sts get-caller-identity --profile {name}");
            return Task.FromResult(ExitCodes.Ok);
        });
        return new Command("setup", "Set up other tools to use Vouch") { aws };
    }

    /// <summary>
    /// The <c>--list</c> table: a header line <c>PROFILE ROLE REGION DURATION</c>, then one line per profile in file
    /// order; columns are left-aligned and separated by at least two spaces, no cell contains a space, a missing value
    /// is <c>-</c>, the duration is in seconds.
    /// </summary>
    public static string Table(IReadOnlyList<VouchProfile> profiles)
    {
        string[][] rows =
        [
            ["PROFILE", "ROLE", "REGION", "DURATION"],
            .. profiles.Select(p => new[] { p.Name, p.Role ?? "-", p.Region ?? "-", p.Duration.ToString(CultureInfo.InvariantCulture) }),
        ];
        var widths = Enumerable.Range(0, 4).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var text = new System.Text.StringBuilder();
        foreach (var row in rows)
        {
            for (var c = 0; c < 3; c++) text.Append(row[c].PadRight(widths[c] + 2));
            text.Append(row[3]).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The region to offer: the profile's current one (running setup again keeps it), else the environment's, else the default.</summary>
    private static string Suggest(CliContext context, AwsConfigFile? file, string profile) =>
        (file?.Profile(profile) is { } section ? AwsRegion.Of(file, section) : null)
        ?? AwsRegion.FromVariables(context.Environment)
        ?? AwsRegion.Default;

    /// <summary>The profile as Vouch wrote it before, whose hand-added arguments the new line keeps; null when there is none.</summary>
    private static VouchProfile? Previous(AwsConfigFile? file, string profile) =>
        file?.Profile(profile) is { } section ? VouchProfile.From(section) : null;

    private static string Ask(CliContext context, string what, string? defaultValue)
    {
        if (!context.Console.IsInteractive)
            throw new CliException(FailureKind.BadConfiguration, $"{what} is missing: pass it as a flag (no terminal to ask on)");
        var answer = context.Console.ReadLine(defaultValue is null ? $"{what}: " : $"{what} [{defaultValue}]: ")?.Trim();
        return string.IsNullOrEmpty(answer) ? defaultValue ?? throw new CliException(FailureKind.BadConfiguration, $"{what} is required") : answer;
    }
}
