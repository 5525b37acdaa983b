using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Vouch.Server.Sessions;
using Vouch.Server.WebAuthn;

namespace Vouch.Server.Web;

/// <summary>
/// Browser sign-in: a session of kind <see cref="SessionKinds.Browser"/> (8 hours, never extended, listed and revoked
/// like the CLI's) held in a cookie of the <see cref="Scheme"/> scheme. The cookie is <c>__Host-vouch</c> (Secure) on an
/// https issuer and <c>vouch</c> on a loopback http issuer (a browser refuses a <c>__Host-</c> cookie without
/// Secure, and sends no Secure cookie over http), HttpOnly, SameSite=Strict, path <c>/</c>. Its content is encrypted
/// by data protection and carries the session's token; every request checks the session in the database, so a
/// revoked session, a removed key or a disabled user stops at once.
/// </summary>
public static class BrowserSessions
{
    /// <summary>The cookie authentication scheme of the pages.</summary>
    public const string Scheme = "VouchBrowser";

    /// <summary>The claim that carries the session's record id (never its token).</summary>
    public const string SessionClaim = "vouch:session";

    /// <summary>The sign-in cookie on an https issuer.</summary>
    public const string SecureCookieName = "__Host-vouch";

    /// <summary>The sign-in cookie on a loopback http issuer.</summary>
    public const string LoopbackCookieName = "vouch";

    /// <summary>The anti-forgery cookie on an https issuer, and on a loopback http issuer.</summary>
    public const string SecureAntiforgeryCookieName = "__Host-vouch-csrf";
    public const string LoopbackAntiforgeryCookieName = "vouch-csrf";

    /// <summary>The header that carries the anti-forgery token of the pages' JSON POSTs.</summary>
    public const string AntiforgeryHeaderName = "RequestVerificationToken";

    /// <summary>Where a page that needs sign-in sends the browser, with <c>?returnUrl=</c>.</summary>
    public const string LoginPath = "/login";

    private const string TokenItem = ".vouch.session";

    public static IServiceCollection AddVouchBrowserSessions(this IServiceCollection services, string issuer)
    {
        var secure = new Uri(issuer).Scheme == Uri.UriSchemeHttps;
        services.AddAuthentication(Scheme).AddCookie(Scheme, options =>
        {
            options.Cookie.Name = secure ? SecureCookieName : LoopbackCookieName;
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = secure ? CookieSecurePolicy.Always : CookieSecurePolicy.None;
            options.Cookie.Path = "/";
            options.ExpireTimeSpan = SessionService.Lifetime;
            options.SlidingExpiration = false;
            options.LoginPath = LoginPath;
            options.ReturnUrlParameter = "returnUrl";
            options.Events.OnValidatePrincipal = ValidateAsync;
            options.Events.OnRedirectToAccessDenied = context =>
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            };
        });
        services.AddAuthorization();
        services.AddAntiforgery(options =>
        {
            options.Cookie.Name = secure ? SecureAntiforgeryCookieName : LoopbackAntiforgeryCookieName;
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
            // Secure whenever the request is https (as it is on an https issuer, at the server or through a trusted
            // proxy). Antiforgery would throw (a 500) for Always on a plain http request that reached the server
            // directly; such a request gets a cookie the browser drops, and its form post is refused (400).
            options.Cookie.SecurePolicy = secure ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.None;
            options.Cookie.Path = "/";
            options.HeaderName = AntiforgeryHeaderName;
        });
        return services;
    }

    /// <summary>
    /// Reads the sign-in cookie of every request for a page or asset (after routing): pages then see
    /// <see cref="HttpContext.User"/>. Requests for the <see cref="MachinePaths"/> skip it: they authenticate with
    /// a bearer session or not at all, and checking a browser's cookie there would cost a database read each.
    /// </summary>
    public static IApplicationBuilder UseVouchBrowserSessions(this IApplicationBuilder app)
    {
        app.UseWhen(context => !MachinePaths.IsMachineRequest(context), pages => pages.UseAuthentication().UseAuthorization());
        // A branch records that it has the middleware on its own copy of the properties; without these marks on the
        // application, WebApplication would add both again, for every request, in front of the whole pipeline.
        app.Properties[AuthenticationMiddlewareSetKey] = true;
        app.Properties[AuthorizationMiddlewareSetKey] = true;
        return app;
    }

    // The keys WebApplication checks before adding authentication and authorization itself (ASP.NET Core's
    // WebApplicationBuilder, AuthAppBuilderExtensions and AuthorizationAppBuilderExtensions).
    private const string AuthenticationMiddlewareSetKey = "__AuthenticationMiddlewareSet";
    private const string AuthorizationMiddlewareSetKey = "__AuthorizationMiddlewareSet";

    /// <summary>
    /// Signs the browser in with the session <paramref name="login"/> opened (of kind <see cref="SessionKinds.Browser"/>).
    /// The browser's previous session, if its cookie was still live, ends now (audited as its user): a browser holds
    /// one session, and the one its cookie no longer names must not stay usable until it expires.
    /// </summary>
    public static async Task SignInAsync(HttpContext context, LoggedIn login)
    {
        if (context.BrowserSession() is { } previous && previous.Session.Id != login.Session.Id)
        {
            await context.RequestServices.GetRequiredService<SessionService>()
                .LogOutAsync(previous.Session.Id, previous.Actor, context.ClientAddress(), context.RequestAborted);
        }
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, login.User.Id.ToString()),
            new Claim(ClaimTypes.Email, login.User.Email),
            new Claim(SessionClaim, login.Session.Id.ToString()),
        ], Scheme, ClaimTypes.Email, ClaimTypes.Role);
        var properties = new AuthenticationProperties
        {
            IsPersistent = true, ExpiresUtc = login.Session.ExpiresAt, AllowRefresh = false, IssuedUtc = login.Session.ExpiresAt - SessionService.Lifetime,
        };
        properties.Items[TokenItem] = login.Session.Token;
        await context.SignInAsync(Scheme, new ClaimsPrincipal(identity), properties);
    }

    /// <summary>The browser's live session, checked against the database for this request; null when not signed in.</summary>
    public static AuthenticatedSession? BrowserSession(this HttpContext context) => context.Features.Get<AuthenticatedSession>();

    /// <summary>Ends the browser's session (revoked in the database, audited as its user) and deletes the cookie.</summary>
    public static async Task SignOutAsync(HttpContext context)
    {
        if (context.BrowserSession() is { } session)
        {
            await context.RequestServices.GetRequiredService<SessionService>()
                .LogOutAsync(session.Session.Id, session.Actor, context.ClientAddress(), context.RequestAborted);
        }
        await context.SignOutAsync(Scheme);
    }

    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var token = context.Properties.Items.TryGetValue(TokenItem, out var value) ? value : null;
        var sessions = context.HttpContext.RequestServices.GetRequiredService<SessionService>();
        var found = await sessions.FindAsync(token, SessionKinds.Browser, context.HttpContext.RequestAborted);
        if (!found.Succeeded || context.Principal?.FindFirstValue(SessionClaim) != found.Value.Session.Id.ToString())
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(Scheme);
            return;
        }
        context.HttpContext.Features.Set(found.Value);
    }
}
