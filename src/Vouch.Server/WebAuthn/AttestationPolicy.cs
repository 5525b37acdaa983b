namespace Vouch.Server.WebAuthn;

/// <summary>Which authenticators may enroll (<c>--attestation</c>).</summary>
public enum AttestationPolicy
{
    /// <summary>Only keys whose attestation chains to Yubico's FIDO roots (the default).</summary>
    Yubikey,

    /// <summary>Any authenticator, including software ones (development and tests).</summary>
    Any,
}
