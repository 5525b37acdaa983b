using Fido2NetLib;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Vouch.Protocol;

namespace Vouch.Server.WebAuthn;

/// <summary>
/// Registers and maps the enrollment and login ceremonies of the JSON API, rate-limited per client address
/// (<see cref="WebAuthnOptions.CeremoniesPerMinute"/>).
/// </summary>
public static class WebAuthnEndpoints
{
    private const string RateLimitPolicy = "ceremony";

    public static IServiceCollection AddVouchWebAuthn(this IServiceCollection services, WebAuthnOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<IFido2>(new Fido2(new Fido2Configuration
        {
            RPID = options.RelyingPartyId,
            RPName = "Vouch",
            Origins = new HashSet<string>(StringComparer.Ordinal) { options.Origin },
            // Milliseconds (5 minutes) that a timestamp in an attestation statement may differ from this server's
            // clock: Fido2 checks it only in formats that carry one (android-safetynet), whose clocks are not ours.
            TimestampDriftTolerance = (int)TimeSpan.FromMinutes(5).TotalMilliseconds,
        }));
        services.AddSingleton<CeremonyStore>();
        services.AddSingleton<CeremonyFailures>();
        services.AddSingleton<EnrollmentService>();
        services.AddSingleton<LoginTransaction>();
        services.AddSingleton<LoginService>();
        services.AddPerClientRateLimit(RateLimitPolicy, options.CeremoniesPerMinute);
        return services;
    }

    public static IEndpointRouteBuilder MapVouchWebAuthn(this IEndpointRouteBuilder endpoints)
    {
        var ceremonies = endpoints.MapGroup("").RequireRateLimiting(RateLimitPolicy);
        ceremonies.MapPost(ApiRoutes.EnrollOptions, async (EnrollOptionsRequest request, HttpContext context, EnrollmentService enrollment) =>
            ApiResults.Answer(await enrollment.BeginAsync(request.Invite, context.ClientAddress(), context.RequestAborted),
                ProtocolJsonContext.Default.CeremonyOptionsResponse));
        ceremonies.MapPost(ApiRoutes.Enroll, async (EnrollRequest request, HttpContext context, EnrollmentService enrollment) =>
            ApiResults.Answer(await enrollment.FinishAsync(request, context.ClientAddress(), context.RequestAborted),
                ProtocolJsonContext.Default.EnrollResponse));
        // The body (an optional email) is accepted for compatibility and ignored: see LoginService.BeginAsync.
        ceremonies.MapPost(ApiRoutes.LoginOptions, async (LoginOptionsRequest? request, HttpContext context, LoginService login) =>
            ApiResults.Answer(await login.BeginAsync(context.RequestAborted), ProtocolJsonContext.Default.CeremonyOptionsResponse));
        ceremonies.MapPost(ApiRoutes.Login, async (LoginRequest request, HttpContext context, LoginService login) =>
            ApiResults.Answer(await login.FinishForCliAsync(request, context.ClientAddress(), context.RequestAborted),
                ProtocolJsonContext.Default.LoginResponse));
        return endpoints;
    }
}
