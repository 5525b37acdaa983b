using System.Globalization;
using System.Text.Json.Serialization;

namespace Vouch.Cli.Aws;

/// <summary>Temporary AWS credentials from STS, and the role session they belong to.</summary>
public sealed record AwsCredentials
{
    [JsonPropertyName("access_key_id")] public required string AccessKeyId { get; init; }
    [JsonPropertyName("secret_access_key")] public required string SecretAccessKey { get; init; }
    [JsonPropertyName("session_token")] public required string SessionToken { get; init; }
    [JsonPropertyName("expiration")] public required DateTimeOffset Expiration { get; init; }
    [JsonPropertyName("role_arn")] public required string RoleArn { get; init; }
    [JsonPropertyName("assumed_role_arn")] public string? AssumedRoleArn { get; init; }
    [JsonPropertyName("region")] public required string Region { get; init; }

    /// <summary>ISO 8601 UTC with a Z and whole seconds, as credential_process requires; not a field of <c>--format json</c>.</summary>
    [JsonIgnore]
    public string ExpirationText => Expiration.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
