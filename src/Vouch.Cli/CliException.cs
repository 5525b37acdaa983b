namespace Vouch.Cli;

/// <summary>
/// An expected failure with the one line to show and the exit code; caught once, at the top of the command line.
/// Never carries a secret.
/// </summary>
public sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>The Vouch server's stable error code (<see cref="Vouch.Protocol.ErrorCodes"/>) when the server refused.</summary>
    public string? ServerError { get; init; }
}
