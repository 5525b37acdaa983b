using System.Text.Json.Serialization;
using Vouch.Server.Users;

namespace Vouch.Server.Admin;

/// <summary>The <c>--json</c> output of <c>users</c>, <c>credentials</c> and <c>invites</c>: snake_case, times in ISO 8601.</summary>
[JsonSerializable(typeof(UserSummary))]
[JsonSerializable(typeof(UserDetails))]
[JsonSerializable(typeof(CredentialSummary))]
[JsonSerializable(typeof(InviteSummary))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class PeopleJsonContext : JsonSerializerContext;
