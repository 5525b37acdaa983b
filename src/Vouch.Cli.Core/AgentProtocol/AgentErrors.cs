namespace Vouch.Cli.Agent;

/// <summary>
/// The agent's stable error codes, and the one table between them and <see cref="FailureKind"/>: the agent writes a
/// failure's kind as its code (<see cref="CodeOf"/>), the client reads the code back as a kind (<see cref="KindOf"/>).
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

    /// <summary>
    /// Code and kind, both ways. A kind not listed is written as <see cref="Refused"/>; a code not listed (an agent
    /// newer than this client, say) is read as <see cref="FailureKind.Refused"/>. The first row of a kind is its code.
    /// </summary>
    private static readonly (string Code, FailureKind Kind)[] Table =
    [
        (NotLoggedIn, FailureKind.NotLoggedIn),
        (ServerUnreachable, FailureKind.ServerUnreachable),
        (AwsRefused, FailureKind.AwsRefused),
        (UserDisabled, FailureKind.UserDisabled),
        (Internal, FailureKind.AgentFailed),
        (Busy, FailureKind.Busy),
        (Refused, FailureKind.Refused),
        (BadRequest, FailureKind.Refused),
        (Forbidden, FailureKind.Refused),
    ];

    /// <summary>The kind of failure an answer's error code names.</summary>
    public static FailureKind KindOf(string? error)
    {
        foreach (var (code, kind) in Table)
        {
            if (code == error) return kind;
        }
        return FailureKind.Refused;
    }

    /// <summary>The error code the agent answers with for a failure of <paramref name="kind"/>.</summary>
    public static string CodeOf(FailureKind kind)
    {
        foreach (var (code, listed) in Table)
        {
            if (listed == kind) return code;
        }
        return Refused;
    }

    /// <summary>The exit code of <c>vouch</c> for an agent error code.</summary>
    public static int ExitCode(string? error) => ExitCodes.Of(KindOf(error));
}
