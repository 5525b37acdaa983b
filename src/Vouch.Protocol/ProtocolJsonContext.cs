using System.Text.Json.Serialization;

namespace Vouch.Protocol;

/// <summary>Source-generated JSON metadata for every wire contract (safe for trimming and NativeAOT).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(OpenIdConfiguration))]
[JsonSerializable(typeof(JsonWebKeySetDocument))]
[JsonSerializable(typeof(EnrollOptionsRequest))]
[JsonSerializable(typeof(LoginOptionsRequest))]
[JsonSerializable(typeof(CeremonyOptionsResponse))]
[JsonSerializable(typeof(EnrollRequest))]
[JsonSerializable(typeof(EnrollResponse))]
[JsonSerializable(typeof(LoginRequest))]
[JsonSerializable(typeof(LoginResponse))]
[JsonSerializable(typeof(TokenRequest))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(SessionResponse))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;
