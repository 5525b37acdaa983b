using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
using Vouch.Protocol;
using Vouch.Server.Keys;

namespace Vouch.Server.Oidc;

/// <summary>
/// The two public documents every relying party polls, the discovery document and the JWKS, answered from their
/// cached bytes ahead of routing, the browser's cookie authentication and the rate limiter: they are public, the
/// same for everyone, and AWS, RGW and every SDK fetch them, so serving them costs only the write (issue 13:
/// requests per second against Node's oidc-provider). The mapped endpoints answer the same way, through the same
/// methods, for what this fast path leaves to routing (other methods get 405 there).
/// </summary>
public static class PublicDocuments
{
    private static readonly StringValues DiscoveryCacheControl = "public, max-age=3600";
    private static readonly StringValues JwksCacheControl =
        "public, max-age=" + ((int)KeyPolicy.JwksMaxAge.TotalSeconds).ToString(CultureInfo.InvariantCulture) + ", must-revalidate";
    private static readonly StringValues Json = "application/json";
    private static readonly StringValues AnyOrigin = "*";

    /// <summary>Answers GET and HEAD of the two documents before the rest of the pipeline; after the path base.</summary>
    public static IApplicationBuilder UseVouchPublicDocuments(this IApplicationBuilder app)
    {
        var discovery = app.ApplicationServices.GetRequiredService<DiscoveryDocument>();
        var jwks = app.ApplicationServices.GetRequiredService<JwksDocument>();
        return app.Use((context, next) =>
        {
            var request = context.Request;
            if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method)) return next(context);
            var path = request.Path.Value;
            if (string.Equals(path, ApiRoutes.Jwks, StringComparison.OrdinalIgnoreCase)) return WriteJwksAsync(context, jwks);
            if (string.Equals(path, ApiRoutes.Discovery, StringComparison.OrdinalIgnoreCase)) return WriteDiscoveryAsync(context, discovery);
            return next(context);
        });
    }

    public static Task WriteDiscoveryAsync(HttpContext context, DiscoveryDocument document)
    {
        context.Response.Headers.CacheControl = DiscoveryCacheControl;
        return WriteAsync(context, document.Utf8Json);
    }

    /// <summary>The key set with its ETag; 304 when the client already holds this version.</summary>
    public static Task WriteJwksAsync(HttpContext context, JwksDocument document)
    {
        var (body, etag) = document.Current();
        var headers = context.Response.Headers;
        headers.CacheControl = JwksCacheControl;
        headers.ETag = etag;
        // Browsers and relying parties may read the keys from any origin; they are public.
        headers.AccessControlAllowOrigin = AnyOrigin;
        foreach (var held in context.Request.Headers.IfNoneMatch)
        {
            if (!string.Equals(held, etag, StringComparison.Ordinal)) continue;
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }
        return WriteAsync(context, body);
    }

    private static Task WriteAsync(HttpContext context, byte[] body)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.Headers.ContentType = Json;
        response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body).AsTask();
    }
}
