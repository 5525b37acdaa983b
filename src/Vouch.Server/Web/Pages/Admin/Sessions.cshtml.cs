using Vouch.Server.Sessions;
using Vouch.Server.Web.Admin;

namespace Vouch.Server.Web.Pages.Admin;

/// <summary><c>/admin/sessions</c>: every live session, browser and command line; end one.</summary>
public sealed class SessionsModel(AdminConsole console) : AdminPageModel
{
    public IReadOnlyList<LiveSession> Sessions { get; private set; } = [];

    public Task OnGetAsync() => LoadAsync();

    public async Task OnPostRevokeAsync(Guid id)
    {
        var revoked = await console.RevokeSessionAsync(Administrator, id, HttpContext.RequestAborted);
        if (revoked.Succeeded) Notice = "The session has ended.";
        else Refusal = "That session had already ended.";
        await LoadAsync();
    }

    private async Task LoadAsync() => Sessions = await console.SessionsAsync(HttpContext.RequestAborted);
}
