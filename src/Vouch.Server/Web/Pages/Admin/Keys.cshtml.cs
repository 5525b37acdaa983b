using Vouch.Server.Users;
using Vouch.Server.Web.Admin;

namespace Vouch.Server.Web.Pages.Admin;

/// <summary><c>/admin/keys</c>: every enrolled security key; revoke one (the sessions it opened end with it).</summary>
public sealed class KeysModel(AdminConsole console) : AdminPageModel
{
    public IReadOnlyList<CredentialSummary> Keys { get; private set; } = [];

    public Task OnGetAsync() => LoadAsync();

    public async Task OnPostRevokeAsync(string? id)
    {
        var revoked = await console.RevokeKeyAsync(Administrator, id ?? "", HttpContext.RequestAborted);
        if (!revoked.Succeeded) Refusal = revoked.Problem.Description;
        else if (!revoked.Value.Changed) Notice = "That key was already revoked.";
        else Notice = $"Revoked a key of {revoked.Value.Credential.Email}; {revoked.Value.SessionsRevoked} session{(revoked.Value.SessionsRevoked == 1 ? "" : "s")} ended.";
        await LoadAsync();
    }

    private async Task LoadAsync() => Keys = await console.KeysAsync(HttpContext.RequestAborted);
}
