using System.Text.Json.Serialization;

namespace Vouch.Cli.Agent;

/// <summary>The operations the agent answers, one JSON request per connection.</summary>
public static class AgentOperations
{
    public const string Status = "status";
    public const string Login = "login";
    public const string Logout = "logout";
    public const string Token = "token";
    public const string Aws = "aws";

    /// <summary>Whether an agent answers at all; unlike <see cref="Status"/>, never asks the server.</summary>
    public const string Ping = "ping";
}

/// <summary>A request to the agent (one line of JSON).</summary>
public sealed record AgentRequest
{
    [JsonPropertyName("op")] public required string Op { get; init; }
    [JsonPropertyName("server")] public string? Server { get; init; }
    [JsonPropertyName("session")] public string? Session { get; init; }
    [JsonPropertyName("email")] public string? Email { get; init; }
    [JsonPropertyName("expires_at")] public DateTimeOffset? ExpiresAt { get; init; }
    [JsonPropertyName("audience")] public string? Audience { get; init; }
    [JsonPropertyName("role")] public string? Role { get; init; }
    [JsonPropertyName("duration")] public int? DurationSeconds { get; init; }
    [JsonPropertyName("region")] public string? Region { get; init; }
    [JsonPropertyName("sts_endpoint")] public string? StsEndpoint { get; init; }
}

/// <summary>The agent's answer (one line of JSON). <see cref="Error"/> is a stable code when <see cref="Ok"/> is false.</summary>
public sealed record AgentResponse
{
    [JsonPropertyName("ok")] public required bool Ok { get; init; }
    [JsonPropertyName("error")] public string? Error { get; init; }
    [JsonPropertyName("message")] public string? Message { get; init; }
    [JsonPropertyName("email")] public string? Email { get; init; }
    [JsonPropertyName("server")] public string? Server { get; init; }
    [JsonPropertyName("expires_at")] public DateTimeOffset? ExpiresAt { get; init; }
    [JsonPropertyName("id_token")] public string? IdToken { get; init; }
    [JsonPropertyName("token_expires_at")] public DateTimeOffset? TokenExpiresAt { get; init; }
    [JsonPropertyName("credentials")] public Aws.AwsCredentials? Credentials { get; init; }

    public static AgentResponse Fail(string error, string message) => new() { Ok = false, Error = error, Message = message };
}
