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

/// <summary>
/// The names of the agent wire's fields, used by the serializer's attributes below and by the hand-written client side
/// (<see cref="AgentWire"/>); test/Vouch.Cli.Tests/Agent/AgentWireFieldTests.cs fails when a path leaves one out.
/// </summary>
public static class AgentFields
{
    public const string Op = "op";
    public const string Server = "server";
    public const string Session = "session";
    public const string Email = "email";
    public const string ExpiresAt = "expires_at";
    public const string Audience = "audience";
    public const string Role = "role";
    public const string Duration = "duration";
    public const string Region = "region";
    public const string StsEndpoint = "sts_endpoint";
    public const string Ok = "ok";
    public const string Error = "error";
    public const string Message = "message";
    public const string IdToken = "id_token";
    public const string TokenExpiresAt = "token_expires_at";
    public const string Credentials = "credentials";
}

/// <summary>A request to the agent (one line of JSON).</summary>
public sealed record AgentRequest
{
    [JsonPropertyName(AgentFields.Op)] public required string Op { get; init; }
    [JsonPropertyName(AgentFields.Server)] public string? Server { get; init; }
    [JsonPropertyName(AgentFields.Session)] public string? Session { get; init; }
    [JsonPropertyName(AgentFields.Email)] public string? Email { get; init; }
    [JsonPropertyName(AgentFields.ExpiresAt)] public DateTimeOffset? ExpiresAt { get; init; }
    [JsonPropertyName(AgentFields.Audience)] public string? Audience { get; init; }
    [JsonPropertyName(AgentFields.Role)] public string? Role { get; init; }
    [JsonPropertyName(AgentFields.Duration)] public int? DurationSeconds { get; init; }
    [JsonPropertyName(AgentFields.Region)] public string? Region { get; init; }
    [JsonPropertyName(AgentFields.StsEndpoint)] public string? StsEndpoint { get; init; }
}

/// <summary>The agent's answer (one line of JSON). <see cref="Error"/> is a stable code when <see cref="Ok"/> is false.</summary>
public sealed record AgentResponse
{
    [JsonPropertyName(AgentFields.Ok)] public required bool Ok { get; init; }
    [JsonPropertyName(AgentFields.Error)] public string? Error { get; init; }
    [JsonPropertyName(AgentFields.Message)] public string? Message { get; init; }
    [JsonPropertyName(AgentFields.Email)] public string? Email { get; init; }
    [JsonPropertyName(AgentFields.Server)] public string? Server { get; init; }
    [JsonPropertyName(AgentFields.ExpiresAt)] public DateTimeOffset? ExpiresAt { get; init; }
    [JsonPropertyName(AgentFields.IdToken)] public string? IdToken { get; init; }
    [JsonPropertyName(AgentFields.TokenExpiresAt)] public DateTimeOffset? TokenExpiresAt { get; init; }
    [JsonPropertyName(AgentFields.Credentials)] public Aws.AwsCredentials? Credentials { get; init; }

    public static AgentResponse Fail(string error, string message) => new() { Ok = false, Error = error, Message = message };
}
