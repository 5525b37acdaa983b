using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Vouch.Protocol;
using Vouch.Server.Keys;

namespace Vouch.Server.Hosting;

/// <summary>
/// <c>GET /healthz</c>: 200 while this instance can sign; 503 before the signing keys are loaded and while the
/// current key cannot be opened (the log says why; the JWKS is still served).
/// </summary>
internal static class HealthEndpoint
{
    public static IEndpointRouteBuilder MapVouchHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(ApiRoutes.Health, (HttpContext context, KeyRingProvider keys, TimeProvider time) =>
        {
            context.Response.Headers.CacheControl = "no-store";
            if (keys.SignerAt(time.GetUtcNow()) is not null) return Results.Text("ok\n", "text/plain");
            var description = keys.IsReady ? "this server cannot sign tokens now; see its log" : "signing keys are not loaded yet";
            return Results.Json(new ErrorResponse(ErrorCodes.NotReady, description),
                ProtocolJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        return endpoints;
    }
}
