using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Vouch.Protocol;
using Vouch.Server.Keys;
using Vouch.Server.Persistence;

namespace Vouch.Server.Hosting;

/// <summary>
/// <c>GET /healthz</c>: 200 while this instance can sign and reach its database; 503 (<c>not_ready</c>, with
/// <c>Retry-After</c>) before the signing keys are loaded, while the current key cannot be opened (the log says
/// why; the JWKS is still served), and while the last background probe of the database failed
/// (<see cref="DatabaseHealth"/>): a load balancer then sends requests to the other instances. Never touches the
/// database itself.
/// </summary>
internal static class HealthEndpoint
{
    public static IEndpointRouteBuilder MapVouchHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(ApiRoutes.Health, (HttpContext context, KeyRingProvider keys, DatabaseHealth database, TimeProvider time) =>
        {
            context.Response.Headers.CacheControl = "no-store";
            var canSign = keys.SignerAt(time.GetUtcNow()) is not null;
            if (canSign && database.Reachable) return Results.Text("ok\n", "text/plain");
            var description = !keys.IsReady ? "signing keys are not loaded yet"
                : !canSign ? "this server cannot sign tokens now; see its log"
                : "this server cannot reach its database; see its log";
            context.Response.Headers.RetryAfter = DatabaseOutages.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return Results.Json(new ErrorResponse(ErrorCodes.NotReady, description),
                ProtocolJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        return endpoints;
    }
}
