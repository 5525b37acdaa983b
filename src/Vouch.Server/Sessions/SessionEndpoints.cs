using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;
using Vouch.Protocol;

namespace Vouch.Server.Sessions;

/// <summary>
/// Registers sessions and maps the session check and logout; <see cref="RequireSession"/> guards any endpoint that acts for a logged-in
/// user (bearer session, rate-limited per client address at 300 requests a minute).
/// </summary>
public static class SessionEndpoints
{
    private const string RateLimitPolicy = "session";
    private const int RequestsPerMinute = 300;

    public static IServiceCollection AddVouchSessions(this IServiceCollection services)
    {
        services.AddSingleton<SessionService>();
        services.AddPerClientRateLimit(RateLimitPolicy, RequestsPerMinute);
        return services;
    }

    public static IEndpointRouteBuilder MapVouchSessions(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(ApiRoutes.Session, (HttpContext context) =>
        {
            var session = context.AuthenticatedSession();
            context.Response.Headers.CacheControl = "no-store";
            return Results.Json(new SessionResponse(session.User.Email, session.Session.ExpiresAt), ProtocolJsonContext.Default.SessionResponse);
        }).RequireSession();
        endpoints.MapPost(ApiRoutes.Logout, async (SessionService sessions, HttpContext context) =>
        {
            var session = context.AuthenticatedSession();
            await sessions.RevokeAsync(session.Session.Id, null, session.Actor, context.RequestAborted);
            return Results.NoContent();
        }).RequireSession();
        return endpoints;
    }

    /// <summary>
    /// Answers 401 with <c>WWW-Authenticate: Bearer error="invalid_token"</c> unless the request carries a live
    /// session; the handler then reads it with <see cref="AuthenticatedSession(HttpContext)"/>.
    /// </summary>
    public static RouteHandlerBuilder RequireSession(this RouteHandlerBuilder builder) => builder
        .RequireRateLimiting(RateLimitPolicy)
        .AddEndpointFilter(async (invocation, next) =>
        {
            var context = invocation.HttpContext;
            var sessions = context.RequestServices.GetRequiredService<SessionService>();
            var found = await sessions.FindAsync(Bearer(context), context.RequestAborted);
            if (!found.Succeeded)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
                return ApiResults.Refuse(found.Problem);
            }
            context.Features.Set(found.Value);
            return await next(invocation);
        });

    /// <summary>The session that <see cref="RequireSession"/> found for this request.</summary>
    public static AuthenticatedSession AuthenticatedSession(this HttpContext context) =>
        context.Features.Get<AuthenticatedSession>()
        ?? throw new InvalidOperationException("this endpoint reads a session but does not RequireSession()");

    private static string? Bearer(HttpContext context)
    {
        var header = context.Request.Headers[HeaderNames.Authorization].ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : null;
    }
}
