using Microsoft.AspNetCore.Mvc.RazorPages;
using Vouch.Server.Oidc;
using Vouch.Server.Users;

namespace Vouch.Server.Web.Pages;

/// <summary>
/// <c>/enroll?code=CODE</c>, the invite link: says whom the invite is for and lets them enroll a security key in
/// the browser (the page's script runs the JSON API's enrollment); an unusable invite gets a message instead.
/// </summary>
public sealed class EnrollModel(InviteService invites, OidcOptions oidc) : PageModel
{
    /// <summary>The code from the link, handed to the page's script.</summary>
    public string? Code { get; private set; }

    /// <summary>The invite, when the code is known.</summary>
    public InviteSummary? Invite { get; private set; }

    /// <summary>The issuer, for the CLI's next steps.</summary>
    public string Issuer => oidc.Issuer;

    /// <summary>Why the invite cannot be used, for people; null when it can.</summary>
    public string? Refusal => Invite?.State switch
    {
        InviteStates.Pending => null,
        InviteStates.Used => "This invite link was already used to enroll a key. Each link works once: ask your administrator for a new one.",
        InviteStates.Expired => "This invite link has expired. Ask your administrator for a new one.",
        _ => "This invite link is not valid. Check that you opened the whole link, or ask your administrator for a new one.",
    };

    public async Task OnGetAsync(string? code)
    {
        Code = code;
        Invite = await invites.FindAsync(code, HttpContext.RequestAborted);
    }
}
