using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Vouch.Protocol;
using Vouch.Server.Sessions;

namespace Vouch.Server.Oidc;

/// <summary>Registers and maps the OpenID Connect discovery document, the JWKS, and ID tokens for a session.</summary>
public static class OidcEndpoints
{
    public static IServiceCollection AddVouchOidc(this IServiceCollection services, OidcOptions options) => services
        .AddSingleton(options)
        .AddSingleton<DiscoveryDocument>()
        .AddSingleton<JwksDocument>()
        .AddSingleton<IdTokenService>()
        .AddSingleton<TokenEndpoint>();

    public static IEndpointRouteBuilder MapVouchOidc(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(ApiRoutes.Discovery, (HttpContext context, DiscoveryDocument document) => PublicDocuments.WriteDiscoveryAsync(context, document));
        endpoints.MapGet(ApiRoutes.Jwks, (HttpContext context, JwksDocument document) => PublicDocuments.WriteJwksAsync(context, document));
        endpoints.MapPost(ApiRoutes.Token, (TokenRequest? request, HttpContext context, TokenEndpoint token) =>
            token.IssueAsync(context.AuthenticatedSession(), request?.Audience, context)).RequireSession();
        return endpoints;
    }
}
