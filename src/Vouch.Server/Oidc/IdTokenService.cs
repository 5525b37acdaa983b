using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Vouch.Protocol;
using Vouch.Server.Keys;
using Vouch.Server.Users;

namespace Vouch.Server.Oidc;

/// <summary>Who a token is for: the verified email, the organization domain (default: the email's) and the audience.</summary>
public sealed record IdTokenRequest
{
    public required string Email { get; init; }

    /// <summary>The organization domain (<c>hd</c>); default: the email's domain.</summary>
    public string? Domain { get; init; }

    /// <summary>The <c>aud</c>; default: the configured audience.</summary>
    public string? Audience { get; init; }

    /// <summary>
    /// Whether the session's key was proven hardware at enrollment: <c>amr</c> is then <c>["hwk","pin"]</c>, otherwise
    /// only <c>["pop"]</c> (proof of possession of some key; nothing proven about where the key lives or its PIN).
    /// </summary>
    public bool HardwareKey { get; init; }
}

/// <summary>A minted token with the facts the audit log records (never the token itself).</summary>
public sealed record IssuedIdToken(string Token, string Jti, string Kid, string Subject, string Audience, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt);

/// <summary>
/// Mints ES256 ID tokens with the claims of DESIGN.md: <c>iat</c>/<c>nbf</c> 60 s back for clock skew, <c>exp</c>
/// the configured lifetime after <c>iat</c>, a fresh <c>jti</c>, <c>amr</c> (["hwk","pin"] for a key proven hardware, else ["pop"]), and AWS session tags.
/// </summary>
public sealed class IdTokenService(OidcOptions options, KeyRingProvider keys, TimeProvider time)
{
    public const string AwsTagsClaim = "https://aws.amazon.com/tags";

    /// <summary>AWS reads the source identity from this claim; it cannot be changed later, even across chained roles.</summary>
    public const string AwsSourceIdentityClaim = "https://aws.amazon.com/source_identity";
    private static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromSeconds(60);
    private static readonly string[] HardwareAmr = ["hwk", "pin"];
    private static readonly string[] ProofOfPossessionAmr = ["pop"];
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public Outcome<IssuedIdToken> Issue(IdTokenRequest request)
    {
        var email = EmailAddress.TryParse(request.Email);
        if (email is null)
            return new Problem(ErrorCodes.InvalidEmail, "the subject is not a valid email address");
        var domain = request.Domain ?? email.Domain;
        if (!EmailAddress.IsDomain(domain))
            return new Problem(ErrorCodes.InvalidRequest, "the organization domain is not a valid DNS name");
        // Refused, never changed: a dropped character would let two people share one source identity in CloudTrail.
        var sourceIdentity = options.SourceIdentity ? AwsSourceIdentity(email.Value) : null;
        if (options.SourceIdentity && sourceIdentity is null)
            return SourceIdentityRefused(email.Value);
        var audience = request.Audience ?? options.Audience;
        if (!string.Equals(audience, options.Audience, StringComparison.Ordinal))
            return new Problem(ErrorCodes.InvalidAudience, "this server does not issue tokens for that audience");

        var now = time.GetUtcNow();
        // Only the key the schedule names: if this instance cannot use it, it signs nothing rather than another key.
        var key = keys.SignerAt(now);
        if (key?.Credentials is null)
            return new Problem(ErrorCodes.NotReady, "this server cannot sign tokens now; try again later", 503) { Reason = keys.SigningProblemAt(now) };

        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()) - ClockSkewAllowance;
        var expiresAt = issuedAt + options.TokenLifetime;
        var jti = Base64UrlEncoder.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = audience,
            IssuedAt = issuedAt.UtcDateTime,
            NotBefore = issuedAt.UtcDateTime,
            Expires = expiresAt.UtcDateTime,
            TokenType = "JWT",
            SigningCredentials = key.Credentials,
            Claims = new Dictionary<string, object>
            {
                ["sub"] = email.Value,
                ["email"] = email.Value,
                ["email_verified"] = true,
                ["hd"] = domain,
                ["jti"] = jti,
                ["amr"] = request.HardwareKey ? HardwareAmr : ProofOfPossessionAmr,
                [AwsTagsClaim] = new Dictionary<string, object>
                {
                    ["principal_tags"] = new Dictionary<string, object>
                    {
                        ["email"] = new[] { email.Value },
                        ["domain"] = new[] { domain },
                    },
                    ["transitive_tag_keys"] = new[] { "email", "domain" },
                },
            },
        };
        if (options.SourceIdentity) descriptor.Claims[AwsSourceIdentityClaim] = sourceIdentity!;
        var token = _handler.CreateToken(descriptor);
        return new IssuedIdToken(token, jti, key.Kid, email.Value, audience, issuedAt, expiresAt);
    }

    /// <summary>
    /// The email as the AWS source identity, or null when AWS would not take it unchanged: 2 to 64 of
    /// <c>[A-Za-z0-9_+=,.@-]</c>. Nothing is dropped or clipped, so two emails never share one.
    /// </summary>
    public static string? AwsSourceIdentity(string email) =>
        email.Length is >= 2 and <= 64 && email.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '+' or '=' or ',' or '.' or '@' or '-')
            ? email
            : null;

    /// <summary>The refusal of a token whose user's email cannot be the source identity (403): the administrator must act.</summary>
    public static Problem SourceIdentityRefused(string email) => new(ErrorCodes.SourceIdentityRefused,
        $"{email} cannot be an AWS source identity (2 to 64 letters, digits and _+=,.@- only), which this server puts in every token; " +
        "ask your administrator", StatusCodes.Status403Forbidden);
}
