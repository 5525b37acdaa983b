using System.Text.Json.Serialization;

namespace Vouch.Protocol;

/// <summary>The body of every refused request: a stable <see cref="Error"/> code and a sentence for people.</summary>
public sealed record ErrorResponse(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("error_description")] string Description);
