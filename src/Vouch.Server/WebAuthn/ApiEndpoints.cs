using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Net.Http.Headers;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Server.Oidc;
using Vouch.Server.Sessions;

namespace Vouch.Server.WebAuthn;

/// <summary>
/// The JSON API of the CLI: enrollment and login ceremonies, ID tokens for a session, and logout. Rate-limited per client
/// address (ceremonies 30 a minute, tokens 300 a minute).
/// </summary>
public static class ApiEndpoints
{
    private const string CeremonyPolicy = "ceremony";
    private const string TokenPolicy = "token";

    public static IServiceCollection AddVouchApi(this IServiceCollection services)
    {
        services.TryAddSingleton(YubicoAttestation.Shipped);
        services.AddVouchSessions();
        services.AddSingleton<CeremonyService>();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(CeremonyPolicy, context => PerClient(context, 30));
            limiter.AddPolicy(TokenPolicy, context => PerClient(context, 300));
        });
        return services;
    }

    private static RateLimitPartition<string> PerClient(HttpContext context, int perMinute) =>
        RateLimitPartition.GetFixedWindowLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
            _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });

    public static IEndpointRouteBuilder MapVouchApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/v1");
        var ceremonies = api.MapGroup("").RequireRateLimiting(CeremonyPolicy);
        ceremonies.MapPost("/enroll/options", async (EnrollOptionsRequest request, HttpContext context, CeremonyService service) =>
            Answer(await service.BeginEnrollmentAsync(request.Invite, Client(context), context.RequestAborted)));
        ceremonies.MapPost("/enroll", async (EnrollRequest request, HttpContext context, CeremonyService service) =>
            Answer(await service.FinishEnrollmentAsync(request, Client(context), context.RequestAborted)));
        // The body (an optional email) is accepted for compatibility and ignored: see BeginLoginAsync.
        ceremonies.MapPost("/login/options", async (LoginOptionsRequest? request, HttpContext context, CeremonyService service) =>
            Answer(await service.BeginLoginAsync(context.RequestAborted)));
        ceremonies.MapPost("/login", async (LoginRequest request, HttpContext context, CeremonyService service) =>
            Answer(await service.FinishLoginAsync(request, Client(context), context.RequestAborted)));

        api.MapPost("/token", async (TokenRequest? request, HttpContext context, SessionService sessions, IdTokenService tokens, AuditLog audit) =>
        {
            var lookup = await sessions.FindAsync(Bearer(context), context.RequestAborted);
            if (!lookup.Valid)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
                return Error(StatusCodes.Status401Unauthorized, lookup.Error!, lookup.Description!);
            }
            var issued = tokens.Issue(new IdTokenRequest { Email = lookup.User!.Email, Domain = lookup.User.Domain, Audience = request?.Audience });
            if (!issued.Succeeded)
                return Error(issued.Error == ErrorCodes.NotReady ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status400BadRequest, issued.Error!, issued.Description!);
            var token = issued.Token!;
            await audit.WriteAsync(context.RequestAborted, new AuditEntry
            {
                Type = AuditEventTypes.TokenIssued, Actor = "user:" + token.Subject, ClientAddress = Client(context),
                Data = new Dictionary<string, string> { ["jti"] = token.Jti, ["aud"] = token.Audience, ["kid"] = token.Kid, ["session_id"] = lookup.Session!.Id.ToString() },
            });
            context.Response.Headers.CacheControl = "no-store";
            return Results.Json(new TokenResponse(token.Token, token.Jti, token.ExpiresAt), ProtocolJsonContext.Default.TokenResponse);
        }).RequireRateLimiting(TokenPolicy);

        api.MapPost("/logout", async (HttpContext context, SessionService sessions) =>
        {
            var lookup = await sessions.FindAsync(Bearer(context), context.RequestAborted);
            if (!lookup.Valid)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
                return Error(StatusCodes.Status401Unauthorized, lookup.Error!, lookup.Description!);
            }
            await sessions.RevokeAsync(lookup.Session!.Id, null, "user:" + lookup.User!.Email, context.RequestAborted);
            return Results.NoContent();
        }).RequireRateLimiting(TokenPolicy);
        return endpoints;
    }

    public static IApplicationBuilder UseVouchApi(this IApplicationBuilder app) => app.UseRateLimiter();

    private static string? Bearer(HttpContext context)
    {
        var header = context.Request.Headers[HeaderNames.Authorization].ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : null;
    }

    private static string? Client(HttpContext context) => context.Connection.RemoteIpAddress?.ToString();

    private static IResult Answer<T>(Outcome<T> outcome) where T : class
    {
        if (outcome.Error is { } error) return Results.Json(error, ProtocolJsonContext.Default.ErrorResponse, statusCode: outcome.Status);
        return Results.Json(outcome.Value, ProtocolJsonContext.Default, statusCode: StatusCodes.Status200OK);
    }

    private static IResult Error(int status, string code, string description) =>
        Results.Json(new ErrorResponse(code, description), ProtocolJsonContext.Default.ErrorResponse, statusCode: status);
}
