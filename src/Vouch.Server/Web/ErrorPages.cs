using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Vouch.Server.Web;

/// <summary>
/// Errors of browser pages as small HTML pages under the layout (<c>Pages/Error.cshtml</c>): a request for a page
/// (one that accepts <c>text/html</c>, outside the JSON API, the discovery documents, the health check and the
/// assets) that ends in 400, 403, 404, 500 or another error status gets a page that says so in words. Every other
/// request keeps the JSON <c>ErrorResponse</c> of <c>UseVouchErrors</c>, which stays outermost.
/// </summary>
public static class ErrorPages
{
    /// <summary>The error page's route; <c>{0}</c> is the status code.</summary>
    public const string PathFormat = "/error/{0}";

    /// <summary>Paths besides the <see cref="MachinePaths"/> whose errors are always JSON, whatever the client accepts.</summary>
    private static readonly PathString[] JsonOnly = ["/js", "/css"];

    /// <summary>Re-executes a page request that fails as the error page; after the path base, before routing.</summary>
    public static IApplicationBuilder UseVouchErrorPages(this IApplicationBuilder app) =>
        app.UseWhen(IsPageRequest, page => page
            .UseExceptionHandler(new ExceptionHandlerOptions
            {
                ExceptionHandlingPath = "/error/500",
                // Malformed HTTP that Kestrel reports is the client's error, never a 500.
                StatusCodeSelector = exception => exception is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
            })
            .UseStatusCodePagesWithReExecute(PathFormat));

    /// <summary>Whether the request is a browser's, for a page: it accepts HTML and is outside the machine paths and <see cref="JsonOnly"/>.</summary>
    public static bool IsPageRequest(HttpContext context)
    {
        if (MachinePaths.IsMachineRequest(context)) return false;
        foreach (var prefix in JsonOnly)
            if (context.Request.Path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase)) return false;
        foreach (var accept in context.Request.GetTypedHeaders().Accept)
            if (accept.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }
}
