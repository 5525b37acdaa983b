using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Vouch.Server.Web.Admin;

namespace Vouch.Server.Web.Pages.Admin;

/// <summary>
/// What every <c>/admin</c> page shares: the <see cref="AdministratorPolicy"/> (checked against the database on each
/// request), the acting <see cref="Administrator"/>, and one line saying what the last action did or why it was refused.
/// </summary>
[Authorize(Policy = AdministratorPolicy.Name)]
public abstract class AdminPageModel : PageModel
{
    /// <summary>What the last action did, for people.</summary>
    public string? Notice { get; protected set; }

    /// <summary>Why the last action was refused, for people.</summary>
    public string? Refusal { get; protected set; }

    protected Administrator Administrator => Administrator.Of(HttpContext);

    /// <summary>A time as the pages show it: UTC, to the minute.</summary>
    public static string Shown(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture) : "never";
}
