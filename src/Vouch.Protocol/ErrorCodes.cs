namespace Vouch.Protocol;

/// <summary>The stable error codes that the server returns in <see cref="ErrorResponse.Error"/>.</summary>
public static class ErrorCodes
{
    public const string InvalidRequest = "invalid_request";
    public const string NotFound = "not_found";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string RequestTooLarge = "request_too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string RateLimited = "rate_limited";
    public const string NotReady = "not_ready";
    public const string ServerError = "server_error";
    public const string InvalidEmail = "invalid_email";
    public const string InvalidAudience = "invalid_audience";
    public const string InvalidInvite = "invalid_invite";
    public const string InvalidCeremony = "invalid_ceremony";
    public const string ChallengeExpired = "challenge_expired";
    public const string WebAuthnFailed = "webauthn_failed";
    public const string AttestationRefused = "attestation_refused";
    public const string InvalidSession = "invalid_session";
    public const string SessionExpired = "session_expired";
    public const string SessionRevoked = "session_revoked";

    /// <summary>The user's account is disabled by an administrator: no login, token or enrollment (HTTP 403).</summary>
    public const string UserDisabled = "user_disabled";

    /// <summary>
    /// The security key is locked: a login presented a signature counter that did not move forward, as a copied key's
    /// does; it cannot log in until an administrator unlocks or revokes it (HTTP 403).
    /// </summary>
    public const string CredentialLocked = "credential_locked";

    /// <summary>The change would leave no administrator: the last one cannot be demoted (HTTP 409).</summary>
    public const string LastAdministrator = "last_administrator";

    /// <summary>The user's email cannot be an AWS source identity (<c>--source-identity</c>): no token rather than a changed one.</summary>
    public const string SourceIdentityRefused = "source_identity_refused";
}
