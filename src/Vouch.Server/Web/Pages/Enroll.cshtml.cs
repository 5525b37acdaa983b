using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Net.Http.Headers;
using Vouch.Protocol;
using Vouch.Server.Oidc;
using Vouch.Server.Users;

namespace Vouch.Server.Web.Pages;

/// <summary>
/// <c>/enroll#code=CODE</c>, the invite link. The code sits in the fragment, which browsers never send, so it reaches
/// no server or proxy log (security.md M2): the page's script reads it, clears it from the address bar, posts it to
/// <see cref="OnPostLookupAsync"/> to say whom the invite is for (or why it cannot be used), and runs the JSON API's
/// enrollment with it. An old <c>/enroll?code=CODE</c> link is moved to the fragment at once.
/// </summary>
public sealed class EnrollModel(InviteService invites, OidcOptions oidc) : PageModel
{
    /// <summary>The issuer, for the CLI's next steps.</summary>
    public string Issuer => oidc.Issuer;

    /// <summary>Why an invite in <paramref name="state"/> cannot be used, for people; null when it can.</summary>
    public static string? Refusal(string? state) => state switch
    {
        InviteStates.Pending => null,
        InviteStates.Used => "This invite link was already used to enroll a key. Each link works once: ask your administrator for a new one.",
        InviteStates.Expired => "This invite link has expired. Ask your administrator for a new one.",
        _ => "This invite link is not valid. Check that you opened the whole link, or ask your administrator for a new one.",
    };

    /// <summary>
    /// The page; an old link's <c>?code=</c> is moved to the fragment by a redirect nobody keeps (<c>no-store</c>), so
    /// that the address bar and history hold the code no longer than the page's script needs to read it.
    /// </summary>
    public IActionResult OnGet(string? code)
    {
        if (string.IsNullOrEmpty(code)) return Page();
        Response.Headers[HeaderNames.CacheControl] = "no-store";
        // Relative, so that an issuer with a path (https://example.com/vouch) keeps it.
        return Redirect("enroll#code=" + Uri.EscapeDataString(code));
    }

    /// <summary>
    /// <c>POST enroll?handler=Lookup</c> with <c>{"invite": CODE}</c> (anti-forgery protected, as every page POST):
    /// <c>{"email": ...}</c> for a usable invite, else <c>{"refusal": ...}</c>, the same words for every unusable one.
    /// </summary>
    public async Task<IActionResult> OnPostLookupAsync()
    {
        EnrollOptionsRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(Request.Body, ProtocolJsonContext.Default.EnrollOptionsRequest, HttpContext.RequestAborted);
        }
        catch (JsonException)
        {
            request = null;
        }
        if (request is null) return LoginModel.Refuse(new Problem(ErrorCodes.InvalidRequest, "the request is malformed"));
        var invite = await invites.FindAsync(request.Invite, HttpContext.RequestAborted);
        var answer = Refusal(invite?.State) is { } refusal
            ? new JsonObject { ["refusal"] = refusal }
            : new JsonObject { ["email"] = invite!.Email };
        return LoginModel.Json(answer.ToJsonString());
    }
}
