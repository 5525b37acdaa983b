namespace Vouch.Protocol;

/// <summary>
/// Every server path the CLI and other clients use, in one list that the server maps and the CLI calls. Paths are
/// relative to the issuer URL (an issuer with a path, such as <c>https://example.com/vouch</c>, prefixes them).
/// </summary>
public static class ApiRoutes
{
    /// <summary>The JSON API's common prefix.</summary>
    public const string ApiPrefix = "/api/v1";

    /// <summary><c>POST</c>: start enrolling a security key with an invite code.</summary>
    public const string EnrollOptions = ApiPrefix + "/enroll/options";

    /// <summary><c>POST</c>: finish enrolling with the authenticator's attestation.</summary>
    public const string Enroll = ApiPrefix + "/enroll";

    /// <summary><c>POST</c>: start a login.</summary>
    public const string LoginOptions = ApiPrefix + "/login/options";

    /// <summary><c>POST</c>: finish a login with the authenticator's assertion; answers a session.</summary>
    public const string Login = ApiPrefix + "/login";

    /// <summary><c>POST</c> with the session as bearer: a fresh ID token.</summary>
    public const string Token = ApiPrefix + "/token";

    /// <summary><c>GET</c> with the session as bearer: whether the session is still live (see <see cref="SessionResponse"/>).</summary>
    public const string Session = ApiPrefix + "/session";

    /// <summary><c>POST</c> with the session as bearer: ends the session on the server.</summary>
    public const string Logout = ApiPrefix + "/logout";

    /// <summary><c>GET</c>: the OpenID Connect discovery document.</summary>
    public const string Discovery = "/.well-known/openid-configuration";

    /// <summary><c>GET</c>: the public signing keys.</summary>
    public const string Jwks = "/.well-known/jwks.json";

    /// <summary><c>GET</c>: 200 once the server is ready.</summary>
    public const string Health = "/healthz";
}
