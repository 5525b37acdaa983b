using System.Text.Json.Serialization;

namespace Vouch.Protocol;

/// <summary>Source-generated JSON metadata for every wire contract (safe for trimming and NativeAOT).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(OpenIdConfiguration))]
[JsonSerializable(typeof(JsonWebKeySetDocument))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;
