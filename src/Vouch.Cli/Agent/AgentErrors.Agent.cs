using Vouch.Cli.Server;
using Vouch.Protocol;

namespace Vouch.Cli.Agent;

/// <summary>The agent's half of <see cref="AgentErrors"/>: failures into answers (not in the client, src/Vouch.Client).</summary>
public static partial class AgentErrors
{
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
}
