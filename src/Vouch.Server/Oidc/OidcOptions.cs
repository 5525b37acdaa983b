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
}
