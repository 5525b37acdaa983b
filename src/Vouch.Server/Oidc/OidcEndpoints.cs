using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Vouch.Server.Keys;

namespace Vouch.Server.Oidc;

/// <summary>Registers and maps the OpenID Connect discovery document and the JWKS.</summary>
public static class OidcEndpoints
{
    public const string DiscoveryPath = "/.well-known/openid-configuration";
    public const string JwksPath = "/.well-known/jwks.json";

    private static readonly string DiscoveryCacheControl = "public, max-age=3600";
    private static readonly string JwksCacheControl =
        "public, max-age=" + ((int)KeyPolicy.JwksMaxAge.TotalSeconds).ToString(CultureInfo.InvariantCulture) + ", must-revalidate";

    public static IServiceCollection AddVouchOidc(this IServiceCollection services) => services
        .AddSingleton<DiscoveryDocument>()
        .AddSingleton<JwksDocument>()
        .AddSingleton<IdTokenService>();

    public static IEndpointRouteBuilder MapVouchOidc(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(DiscoveryPath, (HttpContext context, DiscoveryDocument document) =>
        {
            context.Response.Headers.CacheControl = DiscoveryCacheControl;
            return Results.Bytes(document.Utf8Json, "application/json");
        });
        endpoints.MapGet(JwksPath, (HttpContext context, JwksDocument document) =>
        {
            var (body, etag) = document.Current();
            context.Response.Headers.CacheControl = JwksCacheControl;
            context.Response.Headers.ETag = etag;
            // Browsers and relying parties may read the keys from any origin; they are public.
            context.Response.Headers.AccessControlAllowOrigin = "*";
            if (context.Request.Headers.IfNoneMatch.Contains(etag))
                return Results.StatusCode(StatusCodes.Status304NotModified);
            return Results.Bytes(body, "application/json");
        });
        return endpoints;
    }
}
