using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Vouch.Protocol;
using Vouch.Server.Keys;
using Vouch.Server.Sessions;

namespace Vouch.Server.Oidc;

/// <summary>Registers and maps the OpenID Connect discovery document, the JWKS, and ID tokens for a session.</summary>
public static class OidcEndpoints
{
    private static readonly string DiscoveryCacheControl = "public, max-age=3600";
    private static readonly string JwksCacheControl =
        "public, max-age=" + ((int)KeyPolicy.JwksMaxAge.TotalSeconds).ToString(CultureInfo.InvariantCulture) + ", must-revalidate";

    public static IServiceCollection AddVouchOidc(this IServiceCollection services, OidcOptions options) => services
        .AddSingleton(options)
        .AddSingleton<DiscoveryDocument>()
        .AddSingleton<JwksDocument>()
        .AddSingleton<IdTokenService>()
        .AddSingleton<TokenEndpoint>();

    public static IEndpointRouteBuilder MapVouchOidc(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(ApiRoutes.Discovery, (HttpContext context, DiscoveryDocument document) =>
        {
            context.Response.Headers.CacheControl = DiscoveryCacheControl;
            return Results.Bytes(document.Utf8Json, "application/json");
        });
        endpoints.MapGet(ApiRoutes.Jwks, (HttpContext context, JwksDocument document) =>
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
        endpoints.MapPost(ApiRoutes.Token, (TokenRequest? request, HttpContext context, TokenEndpoint token) =>
            token.IssueAsync(context.AuthenticatedSession(), request?.Audience, context)).RequireSession();
        return endpoints;
    }
}
