using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Vouch.Server.Users;

namespace Vouch.Server.Web.Admin;

/// <summary>
/// The <see cref="Name"/> authorization policy of <c>/admin</c>: signed in with a browser session, and an enabled
/// administrator in the database at this request (never from a claim in the cookie, so that a demotion or a disabling
/// takes effect on the next click). Not signed in: to <c>/login</c>; signed in but no administrator: 403.
/// </summary>
public static class AdministratorPolicy
{
    public const string Name = "VouchAdmin";

    public static IServiceCollection AddVouchAdministratorPolicy(this IServiceCollection services)
    {
        services.AddAuthorizationBuilder().AddPolicy(Name, policy => policy
            .AddAuthenticationSchemes(BrowserSessions.Scheme)
            .RequireAuthenticatedUser()
            .AddRequirements(new AdministratorRequirement()));
        services.AddScoped<IAuthorizationHandler, AdministratorHandler>();
        return services;
    }

    /// <summary>The user must be an enabled administrator now.</summary>
    public sealed class AdministratorRequirement : IAuthorizationRequirement;

    private sealed class AdministratorHandler(UserService users) : AuthorizationHandler<AdministratorRequirement>
    {
        protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, AdministratorRequirement requirement)
        {
            if (!Guid.TryParse(context.User.FindFirstValue(ClaimTypes.NameIdentifier), out var userId)) return;
            if (await users.IsAdministratorAsync(userId, CancellationToken.None)) context.Succeed(requirement);
        }
    }
}
