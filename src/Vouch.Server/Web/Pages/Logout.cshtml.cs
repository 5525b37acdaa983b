using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Vouch.Server.Web.Pages;

/// <summary><c>/logout</c>: a POST (with the anti-forgery token) ends this browser's session; GET only offers the button.</summary>
public sealed class LogoutModel : PageModel
{
    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        await BrowserSessions.SignOutAsync(HttpContext);
        return Redirect(Url.Content("~/login"));
    }
}
