using System.Text.Json;
using Vouch.Protocol;

namespace Vouch.Server.Oidc;

/// <summary>The discovery document, serialized once at start-up (it changes only with the issuer).</summary>
public sealed class DiscoveryDocument(OidcOptions options)
{
    public byte[] Utf8Json { get; } = JsonSerializer.SerializeToUtf8Bytes(new OpenIdConfiguration
    {
        Issuer = options.Issuer,
        JwksUri = options.JwksUri,
        ResponseTypesSupported = ["id_token"],
        SubjectTypesSupported = ["public"],
        IdTokenSigningAlgValuesSupported = ["ES256"],
        ScopesSupported = ["openid", "email"],
        ClaimsSupported = ["iss", "aud", "sub", "iat", "nbf", "exp", "jti", "email", "email_verified", "hd", "amr", IdTokenService.AwsTagsClaim,
            .. (options.SourceIdentity ? new[] { IdTokenService.AwsSourceIdentityClaim } : [])],
    }, ProtocolJsonContext.Default.OpenIdConfiguration);
}
