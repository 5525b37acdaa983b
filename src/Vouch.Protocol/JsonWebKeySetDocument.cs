using System.Text.Json.Serialization;

namespace Vouch.Protocol;

/// <summary>The public key set served at <c>/.well-known/jwks.json</c>; the key that currently signs comes first.</summary>
public sealed record JsonWebKeySetDocument([property: JsonPropertyName("keys")] IReadOnlyList<PublicJsonWebKey> Keys);

/// <summary>One public EC P-256 signing key (RFC 7517), with a certificate for it in <see cref="X5c"/>.</summary>
public sealed record PublicJsonWebKey
{
    [JsonPropertyName("kty")]
    public string Kty { get; init; } = "EC";

    [JsonPropertyName("crv")]
    public string Crv { get; init; } = "P-256";

    [JsonPropertyName("x")]
    public required string X { get; init; }

    [JsonPropertyName("y")]
    public required string Y { get; init; }

    [JsonPropertyName("kid")]
    public required string Kid { get; init; }

    [JsonPropertyName("use")]
    public string Use { get; init; } = "sig";

    [JsonPropertyName("alg")]
    public string Alg { get; init; } = "ES256";

    [JsonPropertyName("x5c")]
    public required IReadOnlyList<string> X5c { get; init; }
}
