using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Vouch.Server.Web.Pages;

/// <summary>
/// The error page of a failed page request (see <see cref="ErrorPages"/>): the status in words, never the exception.
/// Reached only by re-execution; opened directly it is a 404 like any unknown page. Any method is welcome (a failed
/// form post is re-executed as a post), and it checks no anti-forgery token (it changes nothing).
/// </summary>
[IgnoreAntiforgeryToken]
public sealed class ErrorModel : PageModel
{
    public int Status { get; private set; }

    public string Title => Status switch
    {
        StatusCodes.Status400BadRequest => "This request could not be handled",
        StatusCodes.Status403Forbidden => "Not allowed",
        StatusCodes.Status404NotFound => "Page not found",
        StatusCodes.Status405MethodNotAllowed => "This request could not be handled",
        StatusCodes.Status429TooManyRequests => "Too many requests",
        >= 500 => "Something went wrong",
        _ => "This request could not be handled",
    };

    public string Message => Status switch
    {
        StatusCodes.Status400BadRequest =>
            "The server could not accept what the browser sent. If you submitted a form, go back, reload the page and try again.",
        StatusCodes.Status403Forbidden =>
            "Your account may not open this page. If you need it, ask an administrator of Vouch.",
        StatusCodes.Status404NotFound => "There is no page at this address. Check the link, or ask whoever sent it.",
        StatusCodes.Status429TooManyRequests => "Too many requests came from your address. Wait a minute, then try again.",
        >= 500 => "The server failed to answer. The error is logged; try again in a moment, or tell your administrator.",
        _ => "The server could not accept what the browser sent. Go back, reload the page and try again.",
    };

    /// <summary>Every method alike, with or without a handler for it.</summary>
    public override void OnPageHandlerSelected(PageHandlerSelectedContext context)
    {
        var exception = HttpContext.Features.Get<IExceptionHandlerFeature>();
        var reExecuted = exception is not null || HttpContext.Features.Get<IStatusCodeReExecuteFeature>() is not null;
        Status = !reExecuted ? StatusCodes.Status404NotFound
            : exception is not null ? Response.StatusCode
            : int.TryParse(RouteData.Values["status"] as string, System.Globalization.CultureInfo.InvariantCulture, out var status) ? status
            : StatusCodes.Status404NotFound;
        Response.StatusCode = Status;
        Response.Headers.CacheControl = "no-store";
    }
}
