using Vouch.Server.Users;
using Vouch.Server.Web.Admin;

namespace Vouch.Server.Web.Pages.Admin;

/// <summary><c>/admin</c>: the users; disable (ends their browser and CLI sessions), enable, promote, demote.</summary>
public sealed class IndexModel(AdminConsole console) : AdminPageModel
{
    public IReadOnlyList<UserSummary> Users { get; private set; } = [];

    public Task OnGetAsync() => LoadAsync();

    public Task OnPostDisableAsync(string? email) => ActAsync(email, console.DisableAsync,
        (user, change) => $"Disabled {user}; {change.SessionsRevoked} live session{(change.SessionsRevoked == 1 ? "" : "s")} ended.", "is already disabled");

    public Task OnPostEnableAsync(string? email) => ActAsync(email, console.EnableAsync,
        (user, _) => $"Enabled {user}; they can sign in again (their old sessions stay ended).", "is already enabled");

    public Task OnPostPromoteAsync(string? email) => ActAsync(email, console.PromoteAsync,
        (user, _) => $"{user} is now an administrator.", "is already an administrator");

    public Task OnPostDemoteAsync(string? email) => ActAsync(email, console.DemoteAsync,
        (user, _) => $"{user} is no longer an administrator.", "is not an administrator");

    private async Task ActAsync(
        string? email, Func<Administrator, EmailAddress, CancellationToken, Task<Outcome<UserStateChange>>> act,
        Func<EmailAddress, UserStateChange, string> done, string unchanged)
    {
        if (EmailAddress.TryParse(email) is not { } address)
        {
            Refusal = "That is not an email address.";
        }
        else
        {
            var change = await act(Administrator, address, HttpContext.RequestAborted);
            if (!change.Succeeded) Refusal = change.Problem.Description;
            else Notice = change.Value.Changed ? done(address, change.Value) : $"{address} {unchanged}.";
        }
        await LoadAsync();
    }

    private async Task LoadAsync() => Users = await console.UsersAsync(HttpContext.RequestAborted);
}
