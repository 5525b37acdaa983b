using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;
using Vouch.Protocol;

namespace Vouch.Server.Sessions;

/// <summary>
/// Registers sessions and maps the session check and logout; <see cref="RequireSession"/> guards any endpoint that acts for a logged-in
/// user (bearer session, rate-limited per session once the session is known good).
/// </summary>
public static class SessionEndpoints
{
    public static IServiceCollection AddVouchSessions(this IServiceCollection services, SessionLimits options) => services
        .AddSingleton(options)
        .AddSingleton<SessionService>()
        .AddSingleton<SessionRateLimiter>();

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
            await sessions.LogOutAsync(session.Session.Id, session.Actor, context.ClientAddress(), context.RequestAborted);
            return Results.NoContent();
        }).RequireSession();
        return endpoints;
    }

    /// <summary>
    /// Answers 401 with <c>WWW-Authenticate: Bearer error="invalid_token"</c> unless the request carries a live
    /// session, and 429 when that session is over its limit; the handler then reads the session with
    /// <see cref="AuthenticatedSession(HttpContext)"/>. A malformed or unknown bearer is refused before anything
    /// counts, so a flood of junk uses up no real session's allowance.
    /// </summary>
    public static RouteHandlerBuilder RequireSession(this RouteHandlerBuilder builder) => builder
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
            using var lease = context.RequestServices.GetRequiredService<SessionRateLimiter>().Acquire(found.Value.Session.Id);
            if (!lease.IsAcquired) return ApiResults.Refuse(ApiResults.RateLimited(context, lease));
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
