using Vouch.Protocol;

namespace Vouch.Server.Oidc;

/// <summary>What the issuer says in its tokens and discovery document.</summary>
public sealed record OidcOptions
{
    /// <summary>The issuer URL, exactly as in <c>iss</c>: no trailing slash, https except on loopback hosts.</summary>
    public required string Issuer { get; init; }

    /// <summary>The <c>aud</c> of every token (the client id registered with AWS).</summary>
    public required string Audience { get; init; }

    /// <summary>From <c>iat</c> to <c>exp</c>: 5 to 15 minutes.</summary>
    public required TimeSpan TokenLifetime { get; init; }

    /// <summary>Whether tokens carry <c>https://aws.amazon.com/source_identity</c> (the user's email); default false.</summary>
    public bool SourceIdentity { get; init; }

    public string JwksUri => Issuer + ApiRoutes.Jwks;

    public string DiscoveryUri => Issuer + ApiRoutes.Discovery;

    /// <summary>The development issuer and listen URL.</summary>
    public const string DevelopmentIssuer = "http://localhost:8080";

    /// <summary>
    /// Validates the issuer's settings into options, adding to <paramref name="errors"/> a problem that names the
    /// setting for each bad one; null when any is bad. Without an issuer, development mode uses <see cref="DevelopmentIssuer"/>.
    /// </summary>
    internal static OidcOptions? Resolve(
        string? issuer, string? audience, int tokenLifetimeSeconds, bool sourceIdentity, bool development, List<Problem> errors)
    {
        var before = errors.Count;
        issuer = issuer?.Trim();
        if (string.IsNullOrEmpty(issuer))
        {
            if (development) issuer = DevelopmentIssuer;
            else errors.Add(SettingProblem.Of($"issuer {SettingNames.Issuer} is required (for a local trial, add --development)"));
        }
        else if (IssuerUrl.Validate(issuer) is { } issuerError)
        {
            errors.Add(SettingProblem.Of(issuerError));
        }

        audience = audience?.Trim();
        if (audience is { Length: 0 or > 256 } || (audience is not null && audience.Any(char.IsControl)))
            errors.Add(SettingProblem.Of($"audience {SettingNames.Audience} must be 1 to 256 printable characters"));

        if (tokenLifetimeSeconds is < 300 or > 900)
            errors.Add(SettingProblem.Of($"token lifetime {SettingNames.TokenLifetimeSeconds} must be 300 to 900 seconds, not {tokenLifetimeSeconds}"));

        if (errors.Count > before || string.IsNullOrEmpty(issuer)) return null;
        return new OidcOptions
        {
            Issuer = issuer,
            Audience = audience ?? IssuerUrl.DefaultAudience(issuer),
            TokenLifetime = TimeSpan.FromSeconds(tokenLifetimeSeconds),
            SourceIdentity = sourceIdentity,
        };
    }
}
