using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Vouch.Protocol;

namespace Vouch.Server.Hosting;

/// <summary>
/// The charset of a JSON body, settled before any binding: JSON between systems is UTF-8 (RFC 8259 section 8.1), so a
/// JSON request (<c>application/json</c> or <c>*/*+json</c>) may name <c>utf-8</c> in any case, quoted or not (RFC 9110
/// section 5.6.6), or no charset; any other charset, or an empty one, is refused with 415
/// <c>unsupported_media_type</c>. ASP.NET Core's binder would otherwise throw on a charset it does not know (a 500)
/// and transcode the ones it does, which no Vouch client sends.
/// </summary>
internal static class JsonCharset
{
    public const string Description = "send application/json in UTF-8 (charset=utf-8 or no charset)";

    /// <summary>Null to go on (a quoted <c>"utf-8"</c> is rewritten unquoted first), or the refusal to write.</summary>
    public static Task? Check(HttpContext context)
    {
        var header = context.Request.ContentType;
        // What every Vouch client sends (the token path included) needs no parsing.
        if (header is null or "" or "application/json" or "application/json; charset=utf-8") return null;
        if (!MediaTypeHeaderValue.TryParse(header, out var mediaType)) return null;
        if (!mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            && !mediaType.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase)) return null;
        var parameter = mediaType.Parameters.FirstOrDefault(p => p.Name.Equals("charset", StringComparison.OrdinalIgnoreCase));
        if (parameter is null) return null;
        var charset = HeaderUtilities.RemoveQuotes(parameter.Value);
        if (!charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
            return ErrorResponses.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, ErrorCodes.UnsupportedMediaType, Description);
        if (!parameter.Value.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
            context.Request.ContentType = mediaType.MediaType + "; charset=utf-8";
        return null;
    }
}
