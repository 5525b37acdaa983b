using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Vouch.Protocol;
using Vouch.Server.Persistence;

namespace Vouch.Server.Hosting;

/// <summary>
/// Every refused request gets a JSON <see cref="ErrorResponse"/> with a stable code. Unexpected exceptions become a
/// bare <c>server_error</c> (details only in the log), except a database outage, which is a 503 <c>not_ready</c> with
/// <c>Retry-After</c>; malformed HTTP that Kestrel reports is a 4xx, never a 500 (but for Kestrel's own 505 to an HTTP
/// version it does not speak, see docs/server.md); a JSON body in a charset other than UTF-8 is a 415 (<see cref="JsonCharset"/>).
/// </summary>
internal static class ErrorResponses
{
    /// <summary>The largest request body accepted, in bytes (64 KiB).</summary>
    public const long MaxRequestBodyBytes = 64 * 1024;

    public static IApplicationBuilder UseVouchErrors(this IApplicationBuilder app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = context =>
            {
                var exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
                if (exception is BadHttpRequestException bad)
                    return WriteAsync(context, bad.StatusCode, CodeFor(bad.StatusCode), DescriptionFor(bad.StatusCode));
                if (DatabaseOutages.IsOutage(exception))
                {
                    // Whether a write committed before the database went away is unknown: only the client can ask
                    // again (and a load balancer may send it to another instance). Pooled connections are dropped so
                    // the next request opens a fresh one.
                    DatabaseOutages.ForgetPooledConnections();
                    context.Response.Headers.RetryAfter = DatabaseOutages.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                    return WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ErrorCodes.NotReady, "the server cannot reach its database; retry in a moment");
                }
                return WriteAsync(context, StatusCodes.Status500InternalServerError, ErrorCodes.ServerError, "the server failed; the error is logged");
            },
        });
        app.UseStatusCodePages(context =>
        {
            var response = context.HttpContext.Response;
            if (response.HasStarted || response.ContentLength > 0 || response.ContentType is not null) return Task.CompletedTask;
            return WriteAsync(context.HttpContext, response.StatusCode, CodeFor(response.StatusCode), DescriptionFor(response.StatusCode));
        });
        app.Use((context, next) =>
        {
            if (context.Request.ContentLength > MaxRequestBodyBytes)
            {
                context.Response.Headers.Connection = "close";
                return WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ErrorCodes.RequestTooLarge, DescriptionFor(StatusCodes.Status413PayloadTooLarge));
            }
            return JsonCharset.Check(context) ?? next(context);
        });
        return app;
    }

    public static Task WriteAsync(HttpContext context, int status, string code, string description)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "no-store";
        return response.Body.WriteAsync(
            JsonSerializer.SerializeToUtf8Bytes(new ErrorResponse(code, description), ProtocolJsonContext.Default.ErrorResponse)).AsTask();
    }

    private static string CodeFor(int status) => status switch
    {
        StatusCodes.Status404NotFound => ErrorCodes.NotFound,
        StatusCodes.Status405MethodNotAllowed => ErrorCodes.MethodNotAllowed,
        StatusCodes.Status413PayloadTooLarge => ErrorCodes.RequestTooLarge,
        StatusCodes.Status415UnsupportedMediaType => ErrorCodes.UnsupportedMediaType,
        StatusCodes.Status429TooManyRequests => ErrorCodes.RateLimited,
        StatusCodes.Status503ServiceUnavailable => ErrorCodes.NotReady,
        >= 500 => ErrorCodes.ServerError,
        _ => ErrorCodes.InvalidRequest,
    };

    private static string DescriptionFor(int status) => status switch
    {
        StatusCodes.Status404NotFound => "no such endpoint",
        StatusCodes.Status405MethodNotAllowed => "this endpoint does not accept that method",
        StatusCodes.Status413PayloadTooLarge => $"the request body is larger than {MaxRequestBodyBytes} bytes",
        StatusCodes.Status415UnsupportedMediaType => "send application/json",
        StatusCodes.Status429TooManyRequests => "too many requests; retry later",
        StatusCodes.Status503ServiceUnavailable => "the server is starting or cannot reach its database",
        >= 500 => "the server failed; the error is logged",
        _ => "the request is malformed",
    };
}
