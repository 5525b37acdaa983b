using Vouch.Server.Users;
using Vouch.Server.Web.Admin;

namespace Vouch.Server.Web.Pages.Admin;

/// <summary><c>/admin/invites</c>: create an invite (its link shown once, with a copy button), revoke a pending one.</summary>
public sealed class InvitesModel(AdminConsole console) : AdminPageModel
{
    public IReadOnlyList<InviteSummary> Invites { get; private set; } = [];

    /// <summary>The invite just created, whose link is shown this once.</summary>
    public ConsoleInvite? Created { get; private set; }

    public Task OnGetAsync() => LoadAsync();

    public async Task OnPostCreateAsync(string? email)
    {
        if (EmailAddress.TryParse(email) is not { } address)
        {
            Refusal = "That is not an email address (like alice@example.com).";
        }
        else
        {
            Created = await console.InviteAsync(Administrator, address, HttpContext.RequestAborted);
            Notice = Created.Created.ExistingUser is null
                ? $"Invite created for {address}."
                : $"Invite created for {address}, an existing user: it adds a key to their account.";
        }
        await LoadAsync();
    }

    public async Task OnPostRevokeAsync(Guid id)
    {
        var revoked = await console.RevokeInviteAsync(Administrator, id, HttpContext.RequestAborted);
        if (!revoked.Succeeded) Refusal = revoked.Problem.Description;
        else Notice = revoked.Value.Changed ? $"Revoked the invite for {revoked.Value.Invite.Email}." : "That invite was already revoked.";
        await LoadAsync();
    }

    private async Task LoadAsync() =>
        Invites = (await console.InvitesAsync(HttpContext.RequestAborted)).OrderByDescending(i => i.CreatedAt).ToList();
}
