namespace Vouch.Cli;

/// <summary>The exit codes of <c>vouch</c>, stable for scripts (documented in docs/cli.md).</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Something failed that none of the codes below names.</summary>
    public const int Failed = 1;

    /// <summary>The command line is wrong.</summary>
    public const int Usage = 2;

    /// <summary>No session: run <c>vouch login</c>.</summary>
    public const int NotLoggedIn = 3;

    /// <summary>No security key was found, or it refused (wrong PIN, blocked, timed out).</summary>
    public const int NoKey = 4;

    /// <summary>The Vouch server could not be reached.</summary>
    public const int ServerUnreachable = 5;

    /// <summary>AWS STS refused the request.</summary>
    public const int AwsRefused = 6;

    /// <summary>A setting is missing or invalid (no server URL, a malformed flag value).</summary>
    public const int BadConfiguration = 7;

    /// <summary>The Vouch server refused the request (invite used, key not accepted, account disabled...).</summary>
    public const int Refused = 8;

    /// <summary>The agent failed unexpectedly (a bug); the session, if any, is still held.</summary>
    public const int AgentFailed = 9;

    /// <summary><c>vouch doctor</c> found at least one problem (a <c>FAIL</c> line says what to do).</summary>
    public const int DoctorFoundProblems = 10;

    /// <summary>The exit code of an expected failure of <paramref name="kind"/>; the one place a kind becomes a number.</summary>
    public static int Of(FailureKind kind) => kind switch
    {
        FailureKind.Usage => Usage,
        FailureKind.NotLoggedIn => NotLoggedIn,
        FailureKind.NoKey => NoKey,
        FailureKind.ServerUnreachable => ServerUnreachable,
        FailureKind.AwsRefused => AwsRefused,
        FailureKind.BadConfiguration => BadConfiguration,
        FailureKind.Refused or FailureKind.UserDisabled => Refused,
        FailureKind.AgentFailed => AgentFailed,
        _ => Failed,
    };
}
