using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Vouch.Protocol;
using Vouch.Server.Sessions;
using Vouch.Server.Users;
using Vouch.Server.WebAuthn;

namespace Vouch.Server.Web.Pages;

/// <summary>
/// <c>/account</c>, for the signed-in user: their keys (rename, remove, add a spare one) and their live sessions of the
/// CLI and of browsers ("sign out everywhere"). Every change is audited with the user's email; every POST carries the
/// anti-forgery token.
/// </summary>
[Authorize]
public sealed class AccountModel(
    CredentialService credentials, SessionService sessions, InviteService invites, EnrollmentService enrollment) : PageModel
{
    /// <summary>How long the invite behind "Add a spare key" lives: the ceremony's few minutes, never shown to anyone.</summary>
    public static readonly TimeSpan SpareKeyInviteLifetime = TimeSpan.FromMinutes(10);

    public string Email { get; private set; } = "";

    public IReadOnlyList<AccountKey> Keys { get; private set; } = [];

    /// <summary>The name of <paramref name="key"/>'s model when this build knows its AAGUID, else null (the page then shows the AAGUID).</summary>
    public static string? ModelName(AccountKey key) => ShippedAttestation.ModelName(key.AaGuid);

    public IReadOnlyList<SessionRecord> Sessions { get; private set; } = [];

    /// <summary>The record id of this browser's own session, to mark it in the list.</summary>
    public Guid CurrentSession { get; private set; }

    /// <summary>What the last action did, for people.</summary>
    public string? Notice { get; private set; }

    /// <summary>Why the last action was refused, for people.</summary>
    public string? Refusal { get; private set; }

    /// <summary>The key whose removal waits for the user's confirmation (their last one), else null.</summary>
    public string? ConfirmRemoval { get; private set; }

    private AuthenticatedSession Session => HttpContext.BrowserSession()
        ?? throw new InvalidOperationException("the account page runs only for a signed-in browser");

    private string Actor => Session.Actor;

    public async Task OnGetAsync(int? added)
    {
        if (added == 1) Notice = "Your spare key is added. Keep it somewhere safe.";
        await LoadAsync();
    }

    public async Task<IActionResult> OnPostRenameAsync(string? id, string? name)
    {
        var renamed = await credentials.RenameAsync(Session.User.Id, id ?? "", name, Actor, HttpContext.RequestAborted);
        if (renamed.Succeeded) Notice = renamed.Value.Name is null ? "The key's name is cleared." : $"The key is now named \u201c{renamed.Value.Name}\u201d.";
        else Refusal = renamed.Problem.Description;
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostRemoveAsync(string? id, bool confirm)
    {
        var removed = await credentials.RemoveOwnAsync(Session.User.Id, id ?? "", confirm, Actor, HttpContext.RequestAborted);
        if (!removed.Succeeded && removed.Problem == CredentialService.LastKeyNeedsConfirmation)
        {
            ConfirmRemoval = id;
            await LoadAsync();
            return Page();
        }
        if (!removed.Succeeded)
        {
            Refusal = removed.Problem.Description;
            await LoadAsync();
            return Page();
        }
        // Removing the key this browser signed in with ends this session too.
        if (removed.Value.Credential.Id == CredentialService.FormatId(Session.Session.CredentialId))
        {
            await HttpContext.SignOutAsync(BrowserSessions.Scheme);
            return Redirect(Url.Content("~/login"));
        }
        Notice = "The key is removed: it can no longer sign in, and the sessions it opened have ended.";
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostSignOutEverywhereAsync()
    {
        await sessions.RevokeAsync(null, Session.User.Email, Actor, HttpContext.RequestAborted);
        await HttpContext.SignOutAsync(BrowserSessions.Scheme);
        return Redirect(Url.Content("~/login"));
    }

    /// <summary>Starts enrolling a spare key: an invite for the user's own email (as <c>vouch-server invite</c> makes for an existing user), begun at once.</summary>
    public async Task<IActionResult> OnPostSpareOptionsAsync()
    {
        var user = Session.User;
        var email = EmailAddress.TryParse(user.Email) ?? throw new InvalidOperationException("a stored email no longer parses");
        var invite = await invites.CreateAsync(email, user.Domain, SpareKeyInviteLifetime, Actor, HttpContext.RequestAborted);
        var started = await enrollment.BeginAsync(invite.Code, HttpContext.ClientAddress(), HttpContext.RequestAborted);
        return started.Succeeded
            ? LoginModel.Json(JsonSerializer.Serialize(started.Value, ProtocolJsonContext.Default.CeremonyOptionsResponse))
            : LoginModel.Refuse(started.Problem);
    }

    public async Task<IActionResult> OnPostSpareFinishAsync()
    {
        EnrollRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(Request.Body, ProtocolJsonContext.Default.EnrollRequest, HttpContext.RequestAborted);
        }
        catch (JsonException)
        {
            request = null;
        }
        if (request is null) return LoginModel.Refuse(new Problem(ErrorCodes.InvalidRequest, "the request is malformed"));
        var enrolled = await enrollment.FinishAsync(request, HttpContext.ClientAddress(), HttpContext.RequestAborted);
        // The same as POST /api/v1/enroll: a ceremony is bound to its invite, and SpareOptions made this one for the user's own email.
        return enrolled.Succeeded
            ? LoginModel.Json(JsonSerializer.Serialize(enrolled.Value, ProtocolJsonContext.Default.EnrollResponse))
            : LoginModel.Refuse(enrolled.Problem);
    }

    /// <summary>A time as the page shows it: UTC, to the minute.</summary>
    public static string Shown(DateTimeOffset? at) =>
        at is { } value ? value.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "never";

    private async Task LoadAsync()
    {
        Email = Session.User.Email;
        CurrentSession = Session.Session.Id;
        Keys = await credentials.ListOwnAsync(Session.User.Id, HttpContext.RequestAborted);
        Sessions = await sessions.ListLiveOfUserAsync(Session.User.Id, HttpContext.RequestAborted);
    }
}
