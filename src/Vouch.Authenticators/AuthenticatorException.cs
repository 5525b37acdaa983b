namespace Vouch.Authenticators;

/// <summary>What kind of expected failure an <see cref="AuthenticatorException"/> reports.</summary>
public enum AuthenticatorFailure
{
    /// <summary>No key, no credential for the server, or the key refused (wrong PIN, blocked, timed out).</summary>
    NoKey,

    /// <summary>The authenticator's own setting is wrong (a software authenticator file that is not one).</summary>
    BadConfiguration,
}

/// <summary>
/// An expected failure of an <see cref="IAuthenticator"/>, with the one line to show a person; the CLI turns it into
/// its exit code. Never carries a secret.
/// </summary>
public sealed class AuthenticatorException(AuthenticatorFailure failure, string message) : Exception(message)
{
    public AuthenticatorFailure Failure { get; } = failure;
}
