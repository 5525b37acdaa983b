using System.Text.Json.Serialization.Metadata;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Vouch.Protocol;

namespace Vouch.Server;

/// <summary>How features answer over HTTP: an <see cref="Outcome{T}"/> as JSON, a <see cref="Problem"/> as an <see cref="ErrorResponse"/>.</summary>
internal static class ApiResults
{
    public static IResult Answer<T>(Outcome<T> outcome, JsonTypeInfo<T> type) where T : notnull =>
        outcome.Succeeded ? Results.Json(outcome.Value, type) : Refuse(outcome.Problem);

    public static IResult Refuse(Problem problem) =>
        Results.Json(problem.ToResponse(), ProtocolJsonContext.Default.ErrorResponse, statusCode: problem.Status);

    /// <summary>The client's address as the audit log and rate limits see it.</summary>
    public static string? ClientAddress(this HttpContext context) => context.Connection.RemoteIpAddress?.ToString();

    /// <summary>Adds rate-limit policy <paramref name="name"/>: a fixed one-minute window of <paramref name="perMinute"/> requests for each client address.</summary>
    public static IServiceCollection AddPerClientRateLimit(this IServiceCollection services, string name, int perMinute) =>
        services.AddRateLimiter(limiter => limiter.AddPolicy(name, context =>
            RateLimitPartition.GetFixedWindowLimiter(context.ClientAddress() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 })));
}
