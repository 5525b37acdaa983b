using Vouch.Server.Web.Admin;

namespace Vouch.Server.Web.Pages.Admin;

/// <summary><c>/admin/signing-keys</c>: the signing keys, their state and dates; public facts only, never private material.</summary>
public sealed class SigningKeysModel(AdminConsole console) : AdminPageModel
{
    public IReadOnlyList<SigningKeyView> Keys { get; private set; } = [];

    public async Task OnGetAsync() => Keys = await console.SigningKeysAsync(HttpContext.RequestAborted);
}
