namespace Vouch.Cli;

/// <summary>
/// An expected failure: its <see cref="Kind"/> and the one line to show; caught once, at the top of the command line,
/// where the kind becomes the exit code. Never carries a secret.
/// </summary>
public sealed class CliException(FailureKind kind, string message) : Exception(message)
{
    public FailureKind Kind { get; } = kind;

    /// <summary>The exit code for <see cref="Kind"/> (<see cref="ExitCodes.Of"/>).</summary>
    public int ExitCode => ExitCodes.Of(Kind);

    /// <summary>The Vouch server's stable error code (<see cref="Vouch.Protocol.ErrorCodes"/>) when the server refused.</summary>
    public string? ServerError { get; init; }
}
