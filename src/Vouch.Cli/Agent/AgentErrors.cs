using Vouch.Cli.Server;
using Vouch.Protocol;

namespace Vouch.Cli.Agent;

/// <summary>
/// The agent's stable error codes, and the two translations that use them: an expected failure
/// (<see cref="CliException"/>) into an answer, in the agent; an answer's code into an exit code, in the client.
/// </summary>
public static class AgentErrors
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

    /// <summary>The answer to a request whose handling ended in an expected failure.</summary>
    public static AgentResponse From(CliException failure) => failure.ExitCode switch
    {
        _ when failure.ServerError == ErrorCodes.UserDisabled => AgentResponse.Fail(UserDisabled, VouchServerClient.DisabledMessage),
        ExitCodes.NotLoggedIn => AgentResponse.Fail(NotLoggedIn,
            failure.Message.Contains("vouch login", StringComparison.Ordinal) ? failure.Message : failure.Message + ": run 'vouch login'"),
        ExitCodes.ServerUnreachable => AgentResponse.Fail(ServerUnreachable, failure.Message),
        ExitCodes.AwsRefused => AgentResponse.Fail(AwsRefused, failure.Message),
        _ => AgentResponse.Fail(Refused, failure.Message),
    };

    /// <summary>The answer to a request whose handling failed unexpectedly: names the exception's type, never its message.</summary>
    public static AgentResponse Unexpected(Exception failure, string pidFile) => AgentResponse.Fail(Internal,
        $"the agent failed: {failure.GetType().Name}; see its log: stop it (its PID is in {pidFile}) and run 'vouch agent' in a terminal");

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
