using System.Text.Json;
using Microsoft.Playwright;

namespace Vouch.Testing;

/// <summary>
/// A CDP virtual authenticator in one page's browser context: a USB CTAP2 security key with resident keys and user
/// verification (verified by default) that answers the page's <c>navigator.credentials</c> calls, touched at once.
/// </summary>
public sealed class VirtualAuthenticator
{
    private readonly ICDPSession _cdp;

    private VirtualAuthenticator(ICDPSession cdp, string id)
    {
        _cdp = cdp;
        Id = id;
    }

    /// <summary>The authenticator's CDP id.</summary>
    public string Id { get; }

    public static async Task<VirtualAuthenticator> AddAsync(IPage page, bool isUserVerified = true)
    {
        var cdp = await page.Context.NewCDPSessionAsync(page);
        await cdp.SendAsync("WebAuthn.enable", new Dictionary<string, object> { ["enableUI"] = false });
        var added = await cdp.SendAsync("WebAuthn.addVirtualAuthenticator", new Dictionary<string, object>
        {
            ["options"] = new Dictionary<string, object>
            {
                ["protocol"] = "ctap2", ["transport"] = "usb", ["hasResidentKey"] = true, ["hasUserVerification"] = true,
                ["isUserVerified"] = isUserVerified, ["automaticPresenceSimulation"] = true,
            },
        });
        var id = added?.GetProperty("authenticatorId").GetString()
                 ?? throw new InvalidOperationException("WebAuthn.addVirtualAuthenticator answered no authenticatorId");
        return new VirtualAuthenticator(cdp, id);
    }

    /// <summary>The credentials the authenticator holds (CDP <c>WebAuthn.Credential</c> objects).</summary>
    public async Task<IReadOnlyList<JsonElement>> CredentialsAsync()
    {
        var answer = await _cdp.SendAsync("WebAuthn.getCredentials", new Dictionary<string, object> { ["authenticatorId"] = Id });
        return answer?.GetProperty("credentials").EnumerateArray().Select(c => c.Clone()).ToList() ?? [];
    }
}
