using System.Text.Json.Serialization;

namespace Vouch.Server.Audit;

[JsonSerializable(typeof(SortedDictionary<string, string>))]
[JsonSerializable(typeof(AuditRecordView))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class AuditJsonContext : JsonSerializerContext;
