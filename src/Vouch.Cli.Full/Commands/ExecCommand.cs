using System.CommandLine;
using System.Diagnostics;
using Vouch.Cli.Aws;

namespace Vouch.Cli.Commands;

/// <summary>
/// <c>vouch exec [--server] --role ARN -- COMMAND [ARGS...]</c>: runs COMMAND with the role's credentials in its
/// environment; with <c>--server</c>, with a loopback container credentials endpoint instead
/// (<see cref="ContainerCredentialsServer"/>), which the SDKs ask again whenever their credentials near expiry.
/// Exits with COMMAND's exit code.
/// </summary>
internal static class ExecCommand
{
    public static Command Create(CliContext context)
    {
        var role = new Option<string>("--role") { Description = "the IAM role ARN to assume", Required = true };
        var duration = new Option<int>("--duration") { Description = "seconds, 900 to 3600", DefaultValueFactory = _ => AwsCredentialRequest.DefaultDurationSeconds };
        var region = new Option<string?>("--region") { Description = $"the region (default: {AwsRegion.Precedence})" };
        var server = new Option<bool>("--server")
        {
            Description = "serve credentials on 127.0.0.1 (AWS_CONTAINER_CREDENTIALS_FULL_URI) so that the SDKs refresh them for as long as the session lasts",
        };
        var command = new Argument<string[]>("command") { Description = "the command and its arguments, after --", Arity = ArgumentArity.OneOrMore };
        var exec = new Command("exec", "Run a command with temporary AWS credentials for a role") { role, duration, region, server, command };
        exec.SetAction(async (parse, cancellationToken) =>
        {
            var arn = RoleArn.Require(parse.GetValue(role));
            var seconds = AwsCredentialRequest.RequireDuration(parse.GetValue(duration));
            var target = StsTarget.Resolve(parse.GetValue(region), context.Environment);
            // Asked before COMMAND starts in both modes: without a session vouch fails with its own exit code.
            var credentials = await AwsCredentialRequest.GetAsync(context.Paths, arn, seconds, target, cancellationToken);
            var argv = parse.GetValue(command)!;
            var start = new ProcessStartInfo(argv[0]) { UseShellExecute = false };
            foreach (var argument in argv.Skip(1)) start.ArgumentList.Add(argument);
            start.Environment["AWS_REGION"] = credentials.Region;
            start.Environment["AWS_DEFAULT_REGION"] = credentials.Region;
            if (!parse.GetValue(server))
            {
                start.Environment["AWS_ACCESS_KEY_ID"] = credentials.AccessKeyId;
                start.Environment["AWS_SECRET_ACCESS_KEY"] = credentials.SecretAccessKey;
                start.Environment["AWS_SESSION_TOKEN"] = credentials.SessionToken;
                // A profile would take precedence in some tools and point elsewhere.
                start.Environment.Remove("AWS_PROFILE");
                return await RunAsync(start, argv[0]);
            }
            await using var endpoint = ContainerCredentialsServer.Start(
                token => AwsCredentialRequest.GetAsync(context.Paths, arn, seconds, target, token), context.Console.Errors);
            // The SDKs try these before the container endpoint: none may point elsewhere.
            foreach (var variable in ContainerCredentialsServer.CompetingVariables) start.Environment.Remove(variable);
            start.Environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = endpoint.Uri.AbsoluteUri;
            start.Environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = endpoint.Token;
            return await RunAsync(start, argv[0]);
        });
        return exec;
    }

    private static async Task<int> RunAsync(ProcessStartInfo start, string program)
    {
        Process child;
        try
        {
            child = Process.Start(start) ?? throw new CliException(FailureKind.Failed, $"could not start {program}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new CliException(FailureKind.Failed, $"cannot run {program}: {e.Message}");
        }
        using (child)
        {
            await child.WaitForExitAsync(CancellationToken.None);
            return child.ExitCode;
        }
    }
}
