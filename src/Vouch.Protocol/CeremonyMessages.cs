using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vouch.Protocol;

/// <summary><c>POST /api/v1/enroll/options</c>: start enrolling a security key with an invite code.</summary>
public sealed record EnrollOptionsRequest([property: JsonPropertyName("invite")] string Invite);

/// <summary><c>POST /api/v1/login/options</c>: start a login; the key finds its resident credential (the email, if sent, is ignored).</summary>
public sealed record LoginOptionsRequest([property: JsonPropertyName("email")] string? Email);

/// <summary>A started ceremony: its id and the WebAuthn options (with the challenge) for the authenticator.</summary>
public sealed record CeremonyOptionsResponse(
    [property: JsonPropertyName("ceremony")] string Ceremony,
    [property: JsonPropertyName("options")] JsonElement Options);

/// <summary><c>POST /api/v1/enroll</c>: the authenticator's attestation (a WebAuthn PublicKeyCredential as JSON).</summary>
public sealed record EnrollRequest(
    [property: JsonPropertyName("ceremony")] string Ceremony,
    [property: JsonPropertyName("credential")] JsonElement Credential);

public sealed record EnrollResponse([property: JsonPropertyName("email")] string Email);

/// <summary><c>POST /api/v1/login</c>: the authenticator's assertion (a WebAuthn PublicKeyCredential as JSON).</summary>
public sealed record LoginRequest(
    [property: JsonPropertyName("ceremony")] string Ceremony,
    [property: JsonPropertyName("assertion")] JsonElement Assertion);

/// <summary>A new 8-hour session: the bearer token (keep it in memory only) and when it ends.</summary>
public sealed record LoginResponse(
    [property: JsonPropertyName("session")] string Session,
    [property: JsonPropertyName("email")] string Email,
    [property: JsonPropertyName("expires_at")] DateTimeOffset ExpiresAt);

/// <summary><c>POST /api/v1/token</c> with <c>Authorization: Bearer &lt;session&gt;</c>.</summary>
public sealed record TokenRequest([property: JsonPropertyName("audience")] string? Audience);

public sealed record TokenResponse(
    [property: JsonPropertyName("id_token")] string IdToken,
    [property: JsonPropertyName("jti")] string Jti,
    [property: JsonPropertyName("expires_at")] DateTimeOffset ExpiresAt);

/// <summary>
/// <c>GET /api/v1/session</c> with <c>Authorization: Bearer &lt;session&gt;</c>: the session is live and its user
/// enabled (else 401 <c>invalid_session</c>/<c>session_expired</c>/<c>session_revoked</c>, or 403 <c>user_disabled</c>).
/// Cheap: the agent asks it before serving cached credentials.
/// </summary>
public sealed record SessionResponse(
    [property: JsonPropertyName("email")] string Email,
    [property: JsonPropertyName("expires_at")] DateTimeOffset ExpiresAt);
