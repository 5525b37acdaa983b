using System.CommandLine;
using Vouch.Cli.Aws;

namespace Vouch.Cli.Commands;

/// <summary>
/// <c>vouch setup aws --role ARN [--profile NAME] [--region R] [--force]</c>: writes a credential_process profile
/// into <c>$AWS_CONFIG_FILE</c> or <c>~/.aws/config</c>, keeping everything else in the file as it was.
/// </summary>
internal static class SetupAwsCommand
{
    public const string DefaultProfile = "vouch";

    public static Command Create(CliContext context)
    {
        var role = new Option<string?>("--role") { Description = "the IAM role ARN (asked for when a terminal is attached)" };
        var profile = new Option<string?>("--profile") { Description = $"the profile name (default {DefaultProfile})" };
        var region = new Option<string?>("--region") { Description = $"the profile's region (default: {AwsRegion.Precedence})" };
        var force = new Option<bool>("--force") { Description = "replace a profile of that name that vouch did not write" };
        var aws = new Command("aws", "Write an AWS profile that gets its credentials from vouch") { role, profile, region, force };
        aws.SetAction((parse, cancellationToken) =>
        {
            var arn = parse.GetValue(role) ?? Ask(context, "IAM role ARN", null);
            RoleArn.Require(arn);
            var name = parse.GetValue(profile) ?? (context.Console.IsInteractive ? Ask(context, "Profile name", DefaultProfile) : DefaultProfile);
            if (string.IsNullOrWhiteSpace(name) || name.Any(c => char.IsWhiteSpace(c) || c is '[' or ']'))
                throw new CliException(ExitCodes.BadConfiguration, $"--profile '{name}' must be one word without brackets");
            var defaultRegion = AwsRegion.FromEnvironment(context.Environment);
            var chosenRegion = AwsRegion.Require(parse.GetValue(region) ?? (context.Console.IsInteractive ? Ask(context, "Region", defaultRegion) : defaultRegion));

            var self = Environment.ProcessPath ?? throw new CliException(ExitCodes.Failed, "cannot find the path of the vouch executable");
            var program = self.Contains(' ', StringComparison.Ordinal) ? $"\"{self}\"" : self;
            var file = context.Environment("AWS_CONFIG_FILE") is { Length: > 0 } configured
                ? configured
                : Path.Combine(context.Environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".aws", "config");
            AwsConfigEditor.Write(file, name!, [
                new("credential_process", $"{program} credential aws --role {arn} --format {CredentialCommand.CredentialProcessFormat}"),
                new("region", chosenRegion),
            ], parse.GetValue(force));
            context.Console.Errors.WriteLine($"Wrote profile '{name}' to {file}. Try: aws sts get-caller-identity --profile {name}");
            return Task.FromResult(ExitCodes.Ok);
        });
        return new Command("setup", "Set up other tools to use Vouch") { aws };
    }

    private static string Ask(CliContext context, string what, string? defaultValue)
    {
        if (!context.Console.IsInteractive)
            throw new CliException(ExitCodes.BadConfiguration, $"{what} is missing: pass it as a flag (no terminal to ask on)");
        var answer = context.Console.ReadLine(defaultValue is null ? $"{what}: " : $"{what} [{defaultValue}]: ")?.Trim();
        return string.IsNullOrEmpty(answer) ? defaultValue ?? throw new CliException(ExitCodes.BadConfiguration, $"{what} is required") : answer;
    }
}
