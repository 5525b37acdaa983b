using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Serialization.Metadata;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
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

    /// <summary>The refusal of a request over a rate limit: 429, <c>rate_limited</c>, and <c>Retry-After</c> when the limiter knows it.</summary>
    public static Problem RateLimited(HttpContext context, RateLimitLease lease)
    {
        if (lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return new Problem(ErrorCodes.RateLimited, "too many requests; retry later", StatusCodes.Status429TooManyRequests);
    }

    /// <summary>The client's address as the audit log sees it (the real client's, when a trusted proxy forwarded the request).</summary>
    public static string? ClientAddress(this HttpContext context) => context.Connection.RemoteIpAddress?.ToString();

    /// <summary>
    /// The client as rate limits count it: an IPv4 address, or the /64 of an IPv6 address (one household or host
    /// holds a whole /64, so counting single IPv6 addresses would let one client rotate around a limit).
    /// </summary>
    public static string ClientPartition(IPAddress? address)
    {
        if (address is null) return "unknown";
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    /// <summary>Adds rate-limit policy <paramref name="name"/>: a fixed one-minute window of <paramref name="perMinute"/> requests for each client (see <see cref="ClientPartition"/>).</summary>
    public static IServiceCollection AddPerClientRateLimit(this IServiceCollection services, string name, int perMinute) =>
        services.AddRateLimiter(limiter => limiter.AddPolicy(name, context =>
            RateLimitPartition.GetFixedWindowLimiter(ClientPartition(context.Connection.RemoteIpAddress),
                _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 })));
}
