using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Vouch.Cli.Agent;
using Vouch.Cli.Aws;

namespace Vouch.Cli.Commands;

/// <summary>
/// <c>vouch credential token [--audience AUD]</c>: a fresh ID token for the session, alone on stdout;
/// <c>vouch credential aws --role ARN [--format ...] [--duration S] [--region R]</c>: AWS credentials for the role.
/// </summary>
internal static class CredentialCommand
{
    public const string CredentialProcessFormat = CredentialProcessOutput.Format;

    public static Command Create(CliContext context) => new("credential", "Print credentials for other programs")
    {
        Token(context),
        Aws(context),
    };

    private static Command Token(CliContext context)
    {
        var audience = new Option<string?>("--audience") { Description = "the token's aud (default: the server's)" };
        var token = new Command("token", "Print a fresh Vouch ID token for the session, alone on stdout") { audience };
        token.SetAction(async (parse, cancellationToken) =>
        {
            var response = await AgentClient.RequestAsync(context.Paths, new AgentRequest { Op = AgentOperations.Token, Audience = parse.GetValue(audience) }, cancellationToken);
            context.Console.Out.WriteLine(response.IdToken);
            return ExitCodes.Ok;
        });
        return token;
    }

    /// <summary>
    /// For <c>--format json</c>: values as STS sent them (a session token's <c>+</c> stays <c>+</c>, not
    /// <c>\u002B</c>), which is safe on a terminal or in a file, where no HTML parser reads them.
    /// </summary>
    private static readonly CliJsonContext Unescaped = new(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    private static Command Aws(CliContext context)
    {
        var role = new Option<string>("--role") { Description = "the IAM role ARN to assume", Required = true };
        var format = new Option<string>("--format")
        {
            Description = "aws-credential-process (default: the JSON credential_process reads), env (export lines) or json",
            DefaultValueFactory = _ => CredentialProcessFormat,
        };
        format.AcceptOnlyFromAmong(CredentialProcessFormat, "env", "json");
        var duration = new Option<int>("--duration") { Description = "seconds, 900 to 3600", DefaultValueFactory = _ => AwsCredentialRequest.DefaultDurationSeconds };
        var region = new Option<string?>("--region") { Description = $"the STS region (default: {AwsRegion.Precedence})" };
        var command = new Command("aws", "Print temporary AWS credentials for a role (for credential_process)") { role, format, duration, region };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var arn = RoleArn.Require(parse.GetValue(role));
            var seconds = AwsCredentialRequest.RequireDuration(parse.GetValue(duration));
            var target = StsTarget.Resolve(parse.GetValue(region), context.Environment);
            var credentials = await AwsCredentialRequest.GetAsync(context.Paths, arn, seconds, target, cancellationToken);
            context.Console.Out.Write(parse.GetValue(format) switch
            {
                "env" => Env(credentials),
                "json" => JsonSerializer.Serialize(credentials, Unescaped.AwsCredentials) + "\n",
                _ => CredentialProcessOutput.Of(credentials),
            });
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// Lines for <c>eval "$(vouch credential aws --format env)"</c>: every value single-quoted (a <c>'</c> inside as
    /// <c>'\''</c>), so that nothing STS answered (a hostile endpoint's <c>$(...)</c>, backquotes, newlines) is run.
    /// </summary>
    internal static string Env(AwsCredentials credentials) =>
        $"export AWS_ACCESS_KEY_ID={ShellQuoted(credentials.AccessKeyId)}\n" +
        $"export AWS_SECRET_ACCESS_KEY={ShellQuoted(credentials.SecretAccessKey)}\n" +
        $"export AWS_SESSION_TOKEN={ShellQuoted(credentials.SessionToken)}\n" +
        $"export AWS_REGION={ShellQuoted(credentials.Region)}\n";

    private static string ShellQuoted(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
