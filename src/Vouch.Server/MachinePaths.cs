using Microsoft.AspNetCore.Http;

namespace Vouch.Server;

/// <summary>
/// The paths that machines call: the JSON API (<c>/api</c>), the discovery documents (<c>/.well-known</c>) and the
/// health check (<c>/healthz</c>), relative to the issuer's path base. Their requests never carry a browser's sign-in,
/// so they skip the pages' cookie authentication and authorization, and their errors are always JSON.
/// </summary>
public static class MachinePaths
{
    private static readonly PathString[] Prefixes = ["/api", "/.well-known", "/healthz"];

    /// <summary>Whether <paramref name="context"/> is a request for one of the machine paths.</summary>
    public static bool IsMachineRequest(HttpContext context)
    {
        foreach (var prefix in Prefixes)
            if (context.Request.Path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }
}
