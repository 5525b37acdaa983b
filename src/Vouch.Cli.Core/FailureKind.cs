namespace Vouch.Cli;

/// <summary>
/// What kind of expected failure a <see cref="CliException"/> is. Code decides by this, never by the message or the
/// exit code; it crosses the agent socket as its code (<see cref="Agent.AgentErrors"/>) and becomes an exit code once,
/// at the process edge (<see cref="ExitCodes.Of"/>).
/// </summary>
public enum FailureKind
{
    /// <summary>Something failed that none of the kinds below names.</summary>
    Failed,

    /// <summary>The command line is wrong.</summary>
    Usage,

    /// <summary>No session (none, or it expired, was revoked or was logged out): the message says to run <c>vouch login</c>.</summary>
    NotLoggedIn,

    /// <summary>No security key was found, or it refused.</summary>
    NoKey,

    /// <summary>The Vouch server could not be reached, or answered that it is restarting or failing.</summary>
    ServerUnreachable,

    /// <summary>AWS STS (or the AWS sign-in federation) refused the request.</summary>
    AwsRefused,

    /// <summary>A setting is missing or invalid.</summary>
    BadConfiguration,

    /// <summary>The Vouch server (or the agent) refused the request.</summary>
    Refused,

    /// <summary>The Vouch server refused the user: their account is disabled.</summary>
    UserDisabled,

    /// <summary>The agent is answering as many connections as it takes; the asker may try again.</summary>
    Busy,

    /// <summary>The agent failed unexpectedly (a bug), or something that is not the agent holds its socket.</summary>
    AgentFailed,
}
