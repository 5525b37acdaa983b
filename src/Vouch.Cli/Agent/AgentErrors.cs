namespace Vouch.Cli.Agent;

/// <summary>
/// The agent's stable error codes, and the two translations that use them: an expected failure
/// (<see cref="CliException"/>) into an answer, in the agent (AgentErrors.Agent.cs); an answer's code into an exit code, in the client.
/// </summary>
public static partial class AgentErrors
{
    public const string NotLoggedIn = "not_logged_in";
    public const string ServerUnreachable = "server_unreachable";
    public const string Refused = "refused";
    public const string BadRequest = "bad_request";
    public const string Forbidden = "forbidden";
    public const string AwsRefused = "aws_refused";

    /// <summary>The server refused the user: their account is disabled (the session is forgotten).</summary>
    public const string UserDisabled = "user_disabled";

    /// <summary>The agent is already answering as many connections as it takes; the asker may try again.</summary>
    public const string Busy = "busy";

    /// <summary>The agent failed unexpectedly (a bug); the session, if any, is still held.</summary>
    public const string Internal = "internal";

    public const string NotLoggedInMessage = "not logged in: run 'vouch login'";

    /// <summary>The exit code of <c>vouch</c> for an agent error code.</summary>
    public static int ExitCode(string? error) => error switch
    {
        NotLoggedIn => ExitCodes.NotLoggedIn,
        ServerUnreachable => ExitCodes.ServerUnreachable,
        AwsRefused => ExitCodes.AwsRefused,
        UserDisabled => ExitCodes.Refused,
        Internal => ExitCodes.AgentFailed,
        Busy => ExitCodes.Failed,
        _ => ExitCodes.Refused,
    };
}
