using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Vouch.Protocol;
using Vouch.Server.Keys;

namespace Vouch.Server.Hosting;

/// <summary><c>GET /healthz</c>: 200 once the signing keys are loaded, 503 before.</summary>
internal static class HealthEndpoint
{
    public static IEndpointRouteBuilder MapVouchHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(ApiRoutes.Health, (HttpContext context, KeyRingProvider keys) =>
        {
            context.Response.Headers.CacheControl = "no-store";
            return keys.IsReady
                ? Results.Text("ok\n", "text/plain")
                : Results.Json(new ErrorResponse(ErrorCodes.NotReady, "signing keys are not loaded yet"),
                    ProtocolJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        return endpoints;
    }
}
