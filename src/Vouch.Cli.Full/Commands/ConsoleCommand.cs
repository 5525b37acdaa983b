using System.CommandLine;
using System.Diagnostics;
using Vouch.Cli.Aws;

namespace Vouch.Cli.Commands;

/// <summary>
/// <c>vouch console [--role ARN | --profile NAME] [--print] [--duration S] [--region R]</c>: signs the browser in to the
/// AWS console as the role (<see cref="ConsoleSignIn"/>). Opens it with <c>xdg-open</c> when there is a display, through
/// a one-time loopback link (<see cref="ConsoleHandoff"/>) so that the URL is in no process's arguments; else, or with
/// <c>--print</c>, prints it alone on stdout. The URL is a secret: it is never logged.
/// </summary>
internal static class ConsoleCommand
{
    private static readonly TimeSpan BrowserLaunch = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan BrowserFetch = TimeSpan.FromSeconds(60);

    public static Command Create(CliContext context)
    {
        var role = new Option<string?>("--role") { Description = "the IAM role ARN to assume" };
        var profile = new Option<string?>("--profile") { Description = "take the role (and region) from this profile's 'vouch credential aws' line in the AWS config file" };
        var print = new Option<bool>("--print") { Description = "print the sign-in URL on stdout instead of opening a browser" };
        var duration = new Option<int>("--duration") { Description = "the console session in seconds, 900 to 3600", DefaultValueFactory = _ => 3600 };
        var region = new Option<string?>("--region") { Description = $"the console's region (default: the profile's, else {AwsRegion.Precedence})" };
        var console = new Command("console", "Open the AWS console signed in as a role") { role, profile, print, duration, region };
        console.SetAction(async (parse, cancellationToken) =>
        {
            var seconds = ConsoleSignIn.RequireSessionDuration(parse.GetValue(duration));
            var (arn, profileRegion) = (parse.GetValue(role), parse.GetValue(profile)) switch
            {
                ({ } flag, null) => (RoleArn.Require(flag), null),
                (null, { } name) => ReadProfile(context, name),
                _ => throw new CliException(FailureKind.Usage, "pass either --role ARN or --profile NAME"),
            };
            var target = StsTarget.Resolve(parse.GetValue(region) ?? profileRegion, context.Environment);
            var endpoint = ConsoleSignIn.Endpoint(arn, context.Environment);
            if (context.Environment(ConsoleSignIn.EndpointVariable) is { Length: > 0 })
                context.Console.Errors.WriteLine($"vouch: using the federation endpoint {endpoint} ({ConsoleSignIn.EndpointVariable}); for tests only");
            // The usual credentials (same duration as credential_process): the agent's cache serves both.
            var credentials = await AwsCredentialRequest.GetAsync(context.Paths, arn, AwsCredentialRequest.DefaultDurationSeconds, target, cancellationToken);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var url = await new ConsoleSignIn(http).CreateAsync(endpoint, credentials, seconds, ConsoleSignIn.Destination(arn, target.Region), cancellationToken);

            if (parse.GetValue(print)) return Print(context, url, reason: null);
            if (!HasDisplay(context)) return Print(context, url, "no display to open a browser on");
            // The browser gets a one-time loopback link, not the URL itself: xdg-open's arguments are public.
            using var handoff = ConsoleHandoff.Start(url);
            if (!await OpenAsync(handoff.Link)) return Print(context, url, "xdg-open could not open a browser");
            if (await handoff.ServeAsync(BrowserFetch, cancellationToken)) return Opened(context);
            throw new CliException(FailureKind.Failed,
                $"the browser did not open the sign-in link within {BrowserFetch.TotalSeconds:0} seconds; run 'vouch console --print' and open the URL yourself");
        });
        return console;
    }

    private static (string Role, string? Region) ReadProfile(CliContext context, string name)
    {
        var profile = VouchProfile.Read(AwsConfigFile.DefaultPath(context.Environment), name);
        return (profile.Role!, profile.Region);
    }

    private static bool HasDisplay(CliContext context) =>
        context.Environment("DISPLAY") is { Length: > 0 } || context.Environment("WAYLAND_DISPLAY") is { Length: > 0 };

    /// <summary>Runs <c>xdg-open URL</c>; true unless it fails to start or exits non-zero within a few seconds (some wait for the browser).</summary>
    private static async Task<bool> OpenAsync(string url)
    {
        var start = new ProcessStartInfo("xdg-open") { UseShellExecute = false };
        start.ArgumentList.Add(url);
        try
        {
            using var opener = Process.Start(start);
            if (opener is null) return false;
            using var launch = new CancellationTokenSource(BrowserLaunch);
            try
            {
                await opener.WaitForExitAsync(launch.Token);
                return opener.ExitCode == 0;
            }
            catch (OperationCanceledException)
            {
                return true;
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static int Opened(CliContext context)
    {
        context.Console.Errors.WriteLine("Opened the AWS console in your browser (the sign-in link works for 15 minutes).");
        return ExitCodes.Ok;
    }

    private static int Print(CliContext context, string url, string? reason)
    {
        if (reason is not null)
            context.Console.Errors.WriteLine($"vouch: {reason}; the sign-in URL follows on stdout. It signs anyone in as you for 15 minutes: do not share it.");
        context.Console.Out.WriteLine(url);
        return ExitCodes.Ok;
    }
}
