using System.Text.Json;
using Vouch.Protocol;
using Vouch.Server.Hosting;

namespace Vouch.Server.Oidc;

/// <summary>The discovery document, serialized once at start-up (it changes only with the issuer).</summary>
public sealed class DiscoveryDocument(ServerSettings settings)
{
    public byte[] Utf8Json { get; } = JsonSerializer.SerializeToUtf8Bytes(new OpenIdConfiguration
    {
        Issuer = settings.Issuer,
        JwksUri = settings.JwksUri,
        ResponseTypesSupported = ["id_token"],
        SubjectTypesSupported = ["public"],
        IdTokenSigningAlgValuesSupported = ["ES256"],
        ScopesSupported = ["openid", "email"],
        ClaimsSupported = ["iss", "aud", "sub", "iat", "nbf", "exp", "jti", "email", "email_verified", "hd", "amr", IdTokenService.AwsTagsClaim],
    }, ProtocolJsonContext.Default.OpenIdConfiguration);
}
