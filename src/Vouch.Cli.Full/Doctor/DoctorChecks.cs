using System.Globalization;
using Vouch.Authenticators;
using Vouch.Cli.Agent;
using Vouch.Cli.Aws;

namespace Vouch.Cli.Doctor;

/// <summary>How one check of <c>vouch doctor</c> came out; only <see cref="Fail"/> makes the exit code non-zero.</summary>
public enum Verdict
{
    Ok,
    Warn,
    Fail,
}

/// <summary>One line of <c>vouch doctor</c>: the verdict, what was checked, and what was found (with what to do when it is not OK).</summary>
public sealed record Finding(Verdict Verdict, string Check, string Message)
{
    /// <summary><c>OK    check: message</c>, <c>WARN  ...</c> or <c>FAIL  ...</c>: the word in a 4-character column, two spaces, the rest.</summary>
    public override string ToString() => $"{Verdict switch { Verdict.Ok => "OK", Verdict.Warn => "WARN", _ => "FAIL" },-4}  {Check}: {Message}";
}

/// <summary>What the server check saw: the server's <c>Date</c> header and this machine's clock halfway through the request, or why it failed.</summary>
public sealed record ServerProbe(DateTimeOffset? ServerDate, DateTimeOffset LocalTime, string? Failure);

/// <summary>
/// The checks of <c>vouch doctor</c>, each a verdict on what it is given (so tests give it anything): the agent, the
/// session, the server and its clock, the security key, and every AWS profile that runs <c>vouch credential aws</c>.
/// </summary>
public static class DoctorChecks
{
    /// <summary>A server clock further off than this is worth a warning: tokens are back-dated by 60 s, no more.</summary>
    public static readonly TimeSpan MaximumSkew = TimeSpan.FromSeconds(60);

    public static Finding Agent(bool running, string socket) => running
        ? new(Verdict.Ok, "agent", $"running on {socket}")
        : new(Verdict.Fail, "agent", $"not running (nothing answers on {socket}): run 'vouch login', which starts it");

    /// <summary>The session as the agent's <c>status</c> answer shows it (null: no agent).</summary>
    public static Finding Session(AgentResponse? status, DateTimeOffset now)
    {
        if (status is null) return new(Verdict.Fail, "session", "not logged in (no agent holds a session): run 'vouch login'");
        if (status is not { Ok: true, Email: { } email, ExpiresAt: { } expires })
        {
            return status.Error == AgentErrors.NotLoggedIn
                ? new(Verdict.Fail, "session", AgentErrors.NotLoggedInMessage)
                : new(Verdict.Fail, "session", status.Message ?? status.Error ?? "the agent refused");
        }
        var valid = $"{email} on {status.Server}, valid for {Duration(expires - now)} (until {expires.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)})";
        return status.Message is { } unconfirmed
            ? new(Verdict.Warn, "session", $"{valid}, but the server could not confirm it: {unconfirmed}")
            : new(Verdict.Ok, "session", valid);
    }

    /// <summary>Whether <paramref name="server"/> answered, and how far its clock is from this machine's.</summary>
    public static IEnumerable<Finding> Server(string server, ServerProbe probe)
    {
        if (probe.Failure is { } failure)
        {
            yield return new(Verdict.Fail, "server", failure);
            yield break;
        }
        yield return new(Verdict.Ok, "server", $"{server} answers");
        if (probe.ServerDate is not { } date)
        {
            yield return new(Verdict.Warn, "clock", $"{server} sent no Date header: the clocks could not be compared");
            yield break;
        }
        var skew = date - probe.LocalTime;
        var seconds = Math.Abs(skew.TotalSeconds).ToString("0", CultureInfo.InvariantCulture);
        var direction = skew > TimeSpan.Zero ? "behind" : "ahead of";
        yield return skew.Duration() > MaximumSkew
            ? new(Verdict.Warn, "clock", $"this machine's clock is {seconds} s {direction} the server's (more than {MaximumSkew.TotalSeconds:0} s): tokens may be refused as not yet valid or expired; sync the clocks (NTP)")
            : new(Verdict.Ok, "clock", $"within {Math.Max(1, Math.Abs(skew.TotalSeconds)):0} s of the server's");
    }

    /// <summary>The authenticator <c>login</c> would use: the software one named by <paramref name="softwareFile"/>, else the USB keys <paramref name="keys"/> lists.</summary>
    public static Finding SecurityKey(string? softwareFile, Func<string, bool> fileExists, Func<IReadOnlyList<string>> keys)
    {
        if (softwareFile is { Length: > 0 })
        {
            return fileExists(softwareFile)
                ? new(Verdict.Ok, "security key", $"the SOFTWARE authenticator in {softwareFile} is in use (VOUCH_SOFTWARE_AUTHENTICATOR; for tests and demos only)")
                : new(Verdict.Fail, "security key", $"VOUCH_SOFTWARE_AUTHENTICATOR names {softwareFile}, which does not exist: enroll with it first, or unset the variable to use your YubiKey");
        }
        try
        {
            return keys() switch
            {
                [] => new(Verdict.Fail, "security key", "no security key found: insert your YubiKey (and check the udev rules for your user)"),
                [var only] => new(Verdict.Ok, "security key", $"found {only}"),
                var several => new(Verdict.Ok, "security key", $"found {several.Count} ({string.Join(", ", several)}); vouch uses the first"),
            };
        }
        catch (AuthenticatorException e)
        {
            return new(Verdict.Fail, "security key", e.Message);
        }
    }

    /// <summary>
    /// One finding per profile of <paramref name="configFile"/> that runs <c>vouch credential aws</c>: its executable
    /// exists and may be run (<paramref name="executable"/>), its role is an IAM role ARN, it has a region, its
    /// duration is allowed. A file the AWS CLI cannot read is one failure that names the line.
    /// </summary>
    public static IReadOnlyList<Finding> AwsProfiles(string configFile, Func<string, AwsConfigFile?> load, Func<string, ExecutableState> executable)
    {
        AwsConfigFile? file;
        try
        {
            file = load(configFile);
        }
        catch (CliException e)
        {
            return [new(Verdict.Fail, "aws config", e.Message)];
        }
        var profiles = file is null ? [] : VouchProfile.All(file);
        if (profiles.Count == 0)
            return [new(Verdict.Ok, "aws profiles", $"none in {configFile} use vouch (add one: vouch setup aws --role ARN)")];
        return [.. profiles.Select(p => Profile(file!, p, executable))];
    }

    private static Finding Profile(AwsConfigFile file, VouchProfile profile, Func<string, ExecutableState> executable)
    {
        var problems = new List<string>();
        switch (executable(profile.Program))
        {
            case ExecutableState.Missing: problems.Add($"{profile.Program} does not exist"); break;
            case ExecutableState.NotExecutable: problems.Add($"{profile.Program} is not executable"); break;
        }
        if (profile.Role is null) problems.Add("its credential_process has no --role");
        else if (!RoleArn.IsValid(profile.Role)) problems.Add($"'{profile.Role}' is not an IAM role ARN");
        if (profile.Region is null) problems.Add("it has no region");
        else if (!AwsRegion.IsValid(profile.Region)) problems.Add($"its region '{profile.Region}' is not an AWS region");
        if (profile.Duration is < 900 or > 3600) problems.Add($"--duration {profile.Duration} is not 900 to 3600 seconds");
        var check = $"aws profile {profile.Name}";
        if (problems.Count == 0) return new(Verdict.Ok, check, $"{profile.Role} in {profile.Region}, {profile.Duration} s");
        var role = profile.Role is { } arn && RoleArn.IsValid(arn) ? arn : "ARN";
        var region = profile.Region is { } r && AwsRegion.IsValid(r) ? $" --region {r}" : "";
        return new(Verdict.Fail, check,
            $"{string.Join("; ", problems)} ({file.Path} line {profile.Section.Settings["credential_process"].LineNumber}): run 'vouch setup aws --role {role} --profile {profile.Name}{region}' to write it again");
    }

    private static string Duration(TimeSpan span) =>
        span <= TimeSpan.Zero ? "0 min"
        : span.TotalHours >= 1 ? $"{(int)span.TotalHours} h {span.Minutes} min"
        : $"{Math.Max(1, (int)span.TotalMinutes)} min";
}

/// <summary>What stands at the path a credential_process runs.</summary>
public enum ExecutableState
{
    Executable,
    NotExecutable,
    Missing,
}
