namespace Vouch.Cli.Agent;

/// <summary>The agent's answers to failed requests: an expected failure's kind as its code (<see cref="AgentErrors.CodeOf"/>), its message as it is.</summary>
public static class AgentAnswers
{
    /// <summary>The answer to a request whose handling ended in an expected failure.</summary>
    public static AgentResponse From(CliException failure) => AgentResponse.Fail(AgentErrors.CodeOf(failure.Kind), failure.Message);

    /// <summary>The answer to a request whose handling failed unexpectedly: names the exception's type, never its message.</summary>
    public static AgentResponse Unexpected(Exception failure, string pidFile) => AgentResponse.Fail(AgentErrors.Internal,
        $"the agent failed: {failure.GetType().Name}; see its log: stop it (its PID is in {pidFile}) and run 'vouch agent' in a terminal");
}
