using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Vouch.Protocol;
using Vouch.Server.WebAuthn;

namespace Vouch.Server.Web.Pages;

/// <summary>
/// <c>/login</c>: "Sign in with security key". The page's script gets options from the JSON API
/// (<c>POST /api/v1/login/options</c>), runs <c>navigator.credentials.get()</c> (discoverable credentials) and posts
/// the assertion here (<c>?handler=Finish</c>, with the anti-forgery token), where the same <see cref="LoginService"/>
/// as the CLI's login checks it and opens a browser session.
/// </summary>
public sealed class LoginModel(LoginService login) : PageModel
{
    /// <summary>Where to go once signed in: a local URL only, else the account page.</summary>
    public string ReturnUrl { get; private set; } = "/account";

    public IActionResult OnGet(string? returnUrl)
    {
        ReturnUrl = LocalOrAccount(returnUrl);
        return User.Identity?.IsAuthenticated == true ? LocalRedirect(ReturnUrl) : Page();
    }

    public async Task<IActionResult> OnPostFinishAsync(string? returnUrl)
    {
        LoginRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(Request.Body, ProtocolJsonContext.Default.LoginRequest, HttpContext.RequestAborted);
        }
        catch (JsonException)
        {
            request = null;
        }
        if (request is null) return Refuse(new Problem(ErrorCodes.InvalidRequest, "the request is malformed"));

        var loggedIn = await login.FinishForBrowserAsync(request, HttpContext.ClientAddress(), HttpContext.RequestAborted);
        if (!loggedIn.Succeeded) return Refuse(loggedIn.Problem);
        await BrowserSessions.SignInAsync(HttpContext, loggedIn.Value);
        return Json(new JsonObject { ["redirect"] = LocalOrAccount(returnUrl) }.ToJsonString());
    }

    private string LocalOrAccount(string? returnUrl) =>
        Url.IsLocalUrl(returnUrl) ? returnUrl! : Url.Content("~/account");

    internal static IActionResult Refuse(Problem problem) =>
        Json(JsonSerializer.Serialize(problem.ToResponse(), ProtocolJsonContext.Default.ErrorResponse), problem.Status);

    /// <summary>A JSON answer of the pages' own POSTs, serialized with the protocol's source-generated contracts.</summary>
    internal static IActionResult Json(string json, int status = StatusCodes.Status200OK) =>
        new ContentResult { Content = json, ContentType = "application/json; charset=utf-8", StatusCode = status };
}
