using System.Globalization;
using System.Text;
using Vouch.Cli.Agent;
using Vouch.Cli.Aws;
using Vouch.Cli.Commands;
using Vouch.Cli.Configuration;

namespace Vouch.Cli;

/// <summary>
/// The two commands other programs run again and again, handled before the command line is built:
/// <c>vouch credential aws --role ARN [--format aws-credential-process] [--duration S] [--region R]</c> (what
/// credential_process runs for every AWS command) and <c>vouch status</c>. No System.CommandLine tree, no thread pool,
/// no console set-up: blocking socket calls on the main thread (<see cref="AgentClient.Send"/>). The checks, the
/// request, the answer's reading and the words printed are the full commands' own (<see cref="RoleArn"/>,
/// <see cref="AwsCredentialRequest"/>, <see cref="StsTarget"/>, <see cref="AgentDirectory"/> and SO_PEERCRED in
/// <see cref="AgentClient"/>, <see cref="StatusReport"/>, <see cref="CredentialProcessOutput"/>),
/// so output and exit codes are the same on success and on every error. Anything else (another format, <c>--help</c>,
/// <c>--role=ARN</c>, an option twice, an unknown token, a value that starts with <c>-</c> or <c>@</c>) is left to the
/// full command line, before anything is sent.
/// </summary>
internal static class HotPath
{
    /// <summary>
    /// Runs <paramref name="args"/> when they are one of the hot commands and returns the exit code; null when the full
    /// command line must handle them (nothing has been done then). Text that is pure ASCII goes to the stream
    /// <paramref name="output"/> opens as bytes; any other through <paramref name="textOutput"/> (the console's encoding).
    /// </summary>
    public static int? TryRun(string[] args, Func<string, string?> environment, Func<Stream> output, Func<TextWriter> textOutput, Func<TextWriter> errors)
    {
        if (args is ["status"]) return Run(environment, output, textOutput, errors, Status);
        if (args is ["credential", "aws", ..] && AwsArguments.TryParse(args.AsSpan(2)) is { } aws)
            return Run(environment, output, textOutput, errors, (paths, messages) => Aws(paths, environment, aws));
        return null;
    }

    private static int Run(Func<string, string?> environment, Func<Stream> output, Func<TextWriter> textOutput, Func<TextWriter> errors,
        Func<CliPaths, StringWriter, (int ExitCode, string Output)> command)
    {
        using var messages = new StringWriter(CultureInfo.InvariantCulture);
        int exitCode;
        string text;
        try
        {
            (exitCode, text) = command(CliPaths.From(environment), messages);
        }
        catch (CliException e)
        {
            // What the full command line prints for an expected failure (VouchCommandLine.Fail).
            (exitCode, text) = (e.ExitCode, "");
            messages.WriteLine($"vouch: {e.Message}");
        }
        if (text.Length > 0)
        {
            if (Ascii.IsValid(text))
            {
                using var stream = output();
                stream.Write(Encoding.ASCII.GetBytes(text));
                stream.Flush();
            }
            else
            {
                var writer = textOutput();
                writer.Write(text);
                writer.Flush();
            }
        }
        if (messages.GetStringBuilder().Length > 0)
        {
            var writer = errors();
            writer.Write(messages.ToString());
            writer.Flush();
        }
        return exitCode;
    }

    private static (int, string) Status(CliPaths paths, StringWriter messages)
    {
        var response = AgentClient.Send(paths, new AgentRequest { Op = AgentOperations.Status });
        using var output = new StringWriter(CultureInfo.InvariantCulture);
        var exitCode = StatusReport.Write(response, json: false, output, messages);
        return (exitCode, output.ToString());
    }

    /// <summary>In the order <c>credential aws</c>'s action checks them.</summary>
    private static (int, string) Aws(CliPaths paths, Func<string, string?> environment, AwsArguments arguments)
    {
        var arn = RoleArn.Require(arguments.Role);
        var seconds = AwsCredentialRequest.RequireDuration(arguments.Duration);
        var target = StsTarget.Resolve(arguments.Region, environment);
        var credentials = AwsCredentialRequest.Get(paths, arn, seconds, target);
        return (ExitCodes.Ok, CredentialProcessOutput.Of(credentials));
    }

    /// <summary>The options of <c>credential aws</c> in the one spelling the hot path takes: <c>--name value</c>, each at most once.</summary>
    private sealed record AwsArguments(string Role, int Duration, string? Region)
    {
        public static AwsArguments? TryParse(ReadOnlySpan<string> options)
        {
            string? role = null, format = null, duration = null, region = null;
            for (var i = 0; i < options.Length; i += 2)
            {
                if (i + 1 >= options.Length) return null;
                var value = options[i + 1];
                // Empty, or what System.CommandLine may read as an option or a response file: its own parser decides.
                if (value.Length == 0 || value[0] is '-' or '@') return null;
                ref var slot = ref role;
                switch (options[i])
                {
                    case "--role": slot = ref role; break;
                    case "--format": slot = ref format; break;
                    case "--duration": slot = ref duration; break;
                    case "--region": slot = ref region; break;
                    default: return null;
                }
                if (slot is not null) return null;
                slot = value;
            }
            if (role is null || format is not (null or CredentialProcessOutput.Format)) return null;
            var seconds = AwsCredentialRequest.DefaultDurationSeconds;
            if (duration is not null && (duration.Length > 9 || !int.TryParse(duration, NumberStyles.None, CultureInfo.InvariantCulture, out seconds)))
                return null;
            return new AwsArguments(role, seconds, region);
        }
    }
}
