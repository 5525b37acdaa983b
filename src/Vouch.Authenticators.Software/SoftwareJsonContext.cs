using System.Text.Json.Serialization;

namespace Vouch.Authenticators.Software;

/// <summary>Source-generated JSON for the software authenticator's file (NativeAOT-safe).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SoftwareAuthenticatorState))]
internal sealed partial class SoftwareJsonContext : JsonSerializerContext;
