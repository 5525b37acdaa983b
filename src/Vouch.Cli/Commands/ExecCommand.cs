using System.CommandLine;
using System.Diagnostics;
using Vouch.Cli.Aws;

namespace Vouch.Cli.Commands;

/// <summary><c>vouch exec --role ARN -- COMMAND [ARGS...]</c>: runs COMMAND with the role's credentials in its environment.</summary>
internal static class ExecCommand
{
    public static Command Create(CliContext context)
    {
        var role = new Option<string>("--role") { Description = "the IAM role ARN to assume", Required = true };
        var duration = new Option<int>("--duration") { Description = "seconds, 900 to 3600", DefaultValueFactory = _ => AwsCredentialRequest.DefaultDurationSeconds };
        var region = new Option<string?>("--region") { Description = $"the region (default: {AwsRegion.Precedence})" };
        var command = new Argument<string[]>("command") { Description = "the command and its arguments, after --", Arity = ArgumentArity.OneOrMore };
        var exec = new Command("exec", "Run a command with temporary AWS credentials for a role") { role, duration, region, command };
        exec.SetAction(async (parse, cancellationToken) =>
        {
            var arn = RoleArn.Require(parse.GetValue(role));
            var target = StsTarget.Resolve(parse.GetValue(region), context.Environment);
            var credentials = await AwsCredentialRequest.GetAsync(context.Paths, arn, AwsCredentialRequest.RequireDuration(parse.GetValue(duration)), target, cancellationToken);
            var argv = parse.GetValue(command)!;
            var start = new ProcessStartInfo(argv[0]) { UseShellExecute = false };
            foreach (var argument in argv.Skip(1)) start.ArgumentList.Add(argument);
            start.Environment["AWS_ACCESS_KEY_ID"] = credentials.AccessKeyId;
            start.Environment["AWS_SECRET_ACCESS_KEY"] = credentials.SecretAccessKey;
            start.Environment["AWS_SESSION_TOKEN"] = credentials.SessionToken;
            start.Environment["AWS_REGION"] = credentials.Region;
            start.Environment["AWS_DEFAULT_REGION"] = credentials.Region;
            // A profile would take precedence in some tools and point elsewhere.
            start.Environment.Remove("AWS_PROFILE");
            Process child;
            try
            {
                child = Process.Start(start) ?? throw new CliException(ExitCodes.Failed, $"could not start {argv[0]}");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new CliException(ExitCodes.Failed, $"cannot run {argv[0]}: {e.Message}");
            }
            using (child)
            {
                await child.WaitForExitAsync(CancellationToken.None);
                return child.ExitCode;
            }
        });
        return exec;
    }
}
