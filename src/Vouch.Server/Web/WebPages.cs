using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Vouch.Server.Web.KeyRing;

using Vouch.Server.Web.Admin;

namespace Vouch.Server.Web;

/// <summary>
/// The server-rendered pages (Razor Pages under <c>Web/Pages</c>) and their two static assets, embedded in the
/// server: one small hand-written script for the WebAuthn calls and one stylesheet. Every response carries a strict
/// Content-Security-Policy: no inline script or style, nothing from another origin, never framed.
/// </summary>
public static class WebPages
{
    /// <summary>The Content-Security-Policy of every response.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    /// <summary>Each asset's path and content type; the bytes are embedded resources named after the file.</summary>
    private static readonly (string Path, string Resource, string ContentType)[] Assets =
    [
        ("/js/webauthn.js", "webauthn.js", "text/javascript; charset=utf-8"),
        ("/css/site.css", "site.css", "text/css; charset=utf-8"),
        ("/js/admin.js", "admin.js", "text/javascript; charset=utf-8"),
    ];

    /// <summary>The data-protection application name: every instance on one database shares it, so they share keys.</summary>
    public const string ApplicationName = "vouch-server";

    /// <summary>
    /// Registers the pages and ASP.NET Core data protection with its key ring in the database, sealed under the
    /// key-encryption key (which the host registers).
    /// </summary>
    public static IServiceCollection AddVouchWeb(this IServiceCollection services)
    {
        services.AddRazorPages(options => options.RootDirectory = "/Web/Pages").AddMvcOptions(mvc =>
        {
            // No page binds jQuery-style keys (a[b]); the jQuery providers throw on a field name such as "a[", which
            // would be a 500 for a client's typo.
            mvc.ValueProviderFactories.RemoveType<JQueryFormValueProviderFactory>();
            mvc.ValueProviderFactories.RemoveType<JQueryQueryStringValueProviderFactory>();
        });
        services.AddSingleton<Admin.AdminConsole>();
        services.AddVouchAdministratorPolicy();
        services.AddSingleton<DatabaseXmlRepository>();
        services.AddSingleton<KeyRingEncryptor>();
        services.AddDataProtection().SetApplicationName(ApplicationName);
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(provider => new ConfigureOptions<KeyManagementOptions>(options =>
        {
            options.XmlRepository = provider.GetRequiredService<DatabaseXmlRepository>();
            options.XmlEncryptor = provider.GetRequiredService<KeyRingEncryptor>();
        }));
        return services;
    }

    /// <summary>
    /// What HSTS says when the issuer is https: two years, as the shipped nginx configs send it (the same value, so a
    /// proxy that adds its own changes nothing).
    /// </summary>
    public const string StrictTransportSecurity = "max-age=63072000";

    /// <summary>
    /// The security headers, for every response (pages, assets and the JSON API alike); HSTS whenever
    /// <paramref name="issuer"/> is https, whether this server or a proxy terminates TLS, never on an http issuer.
    /// </summary>
    public static IApplicationBuilder UseVouchWebHeaders(this IApplicationBuilder app, string issuer)
    {
        var https = new Uri(issuer).Scheme == Uri.UriSchemeHttps;
        return app.Use((context, next) =>
        {
            if (https) context.Response.Headers.StrictTransportSecurity = StrictTransportSecurity;
            return SecurityHeaders(context, next);
        });
    }

    private static Task SecurityHeaders(HttpContext context, RequestDelegate next)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        return next(context);
    }

    public static IEndpointRouteBuilder MapVouchWeb(this IEndpointRouteBuilder endpoints)
    {
        foreach (var (path, resource, contentType) in Assets)
        {
            var bytes = ReadAsset(resource);
            endpoints.MapGet(path, (HttpContext context) =>
            {
                context.Response.Headers.CacheControl = "no-cache";
                return Results.Bytes(bytes, contentType);
            });
        }
        endpoints.MapRazorPages();
        return endpoints;
    }

    private static byte[] ReadAsset(string name)
    {
        var assembly = typeof(WebPages).Assembly;
        using var stream = assembly.GetManifestResourceStream("Vouch.Server.Web.Assets." + name)
                           ?? throw new InvalidOperationException($"the server was built without its web asset {name}");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
