using System.CommandLine;
using System.Diagnostics;
using Vouch.Authenticators.Software;
using Vouch.Cli.Agent;
using Vouch.Cli.Authenticators;
using Vouch.Cli.Aws;
using Vouch.Cli.Configuration;
using Vouch.Cli.Doctor;

namespace Vouch.Cli.Commands;

/// <summary>
/// <c>vouch doctor</c>: checks the agent, the session, the server (and its clock), the security key and the AWS
/// profiles that use vouch, one line each on stdout (<see cref="Finding"/>); exit 0 when nothing failed, else
/// <see cref="ExitCodes.DoctorFoundProblems"/>. Warnings do not change the exit code.
/// </summary>
internal static class DoctorCommand
{
    /// <summary>The help line, which names every check in the order they run.</summary>
    private const string Checks = "Check the agent, session, server, clock, security key and AWS profiles, one line each";

    public static Command Create(CliContext context) =>
        new Command("doctor", Checks).WithAction(async (parse, cancellationToken) =>
        {
            var findings = new List<Finding>();
            void Report(Finding finding)
            {
                findings.Add(finding);
                context.Console.Out.WriteLine(finding.ToString());
            }

            var running = await AgentClient.IsRunningAsync(context.Paths);
            Report(DoctorChecks.Agent(running, context.Paths.AgentSocket));
            AgentResponse? status = null;
            if (running)
            {
                try
                {
                    status = await AgentClient.SendAsync(context.Paths, new AgentRequest { Op = AgentOperations.Status }, cancellationToken);
                }
                catch (CliException e)
                {
                    status = AgentResponse.Fail(AgentErrors.Internal, e.Message);
                }
            }
            Report(DoctorChecks.Session(status, TimeProvider.System.GetUtcNow()));

            if (Server(context, status) is { } server)
            {
                foreach (var finding in DoctorChecks.Server(server, await ProbeAsync(context, server, cancellationToken))) Report(finding);
            }
            else
            {
                Report(new Finding(Verdict.Fail, "server", "none configured: run 'vouch enroll --server URL --invite CODE' or 'vouch login --server URL'"));
            }

            Report(DoctorChecks.SecurityKey(context.Environment(SoftwareAuthenticator.EnvironmentVariable), File.Exists, Libfido2Authenticator.DevicePaths));
            foreach (var finding in DoctorChecks.AwsProfiles(AwsConfigFile.DefaultPath(context.Environment), AwsConfigFile.Load, p => Executable(p, context.Environment)))
                Report(finding);

            var failed = findings.Count(f => f.Verdict == Verdict.Fail);
            if (failed > 0) context.Console.Errors.WriteLine($"vouch doctor: {failed} problem{(failed == 1 ? "" : "s")} found");
            return failed > 0 ? ExitCodes.DoctorFoundProblems : ExitCodes.Ok;
        });

    private static Command WithAction(this Command command, Func<ParseResult, CancellationToken, Task<int>> action)
    {
        command.SetAction(action);
        return command;
    }

    /// <summary>The session's server, else the one the CLI would use; null when none is configured.</summary>
    private static string? Server(CliContext context, AgentResponse? status)
    {
        if (status is { Ok: true, Server: { } server }) return server;
        try
        {
            return CliConfig.ResolveServer(null, context.Environment, CliConfig.Load(context.Paths));
        }
        catch (CliException)
        {
            return null;
        }
    }

    /// <summary>GET /healthz, timed, for the server's Date header; a failure in the CLI's own words.</summary>
    private static async Task<ServerProbe> ProbeAsync(CliContext context, string server, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetUtcNow();
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await context.Connections.Client.GetAsync(server + "/healthz", cancellationToken);
            var local = started + clock.Elapsed / 2;
            return response.IsSuccessStatusCode
                ? new ServerProbe(response.Headers.Date, local, null)
                : new ServerProbe(response.Headers.Date, local, $"{server}/healthz answered {(int)response.StatusCode} {response.ReasonPhrase}: the server is not ready; check its log");
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new ServerProbe(null, started, context.Connections.Explain(e, server).Message);
        }
    }

    /// <summary>Whether <paramref name="program"/> (a path, or a name looked up in PATH as the AWS CLI would) can be run.</summary>
    private static ExecutableState Executable(string program, Func<string, string?> environment)
    {
        var candidates = program.Contains('/', StringComparison.Ordinal)
            ? [program]
            : (environment("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, program));
        var found = candidates.Where(File.Exists).ToList();
        if (found.Count == 0) return ExecutableState.Missing;
        return found.Any(p => Native.AccessExecute(p) == 0) ? ExecutableState.Executable : ExecutableState.NotExecutable;
    }
}
