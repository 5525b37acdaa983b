using System.Buffers.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Vouch.Authenticators.Software;

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

    /// <summary>Takes the authenticator out of the browser, as a person unplugs a key; the page then has none (or another).</summary>
    public async Task RemoveAsync() =>
        await _cdp.SendAsync("WebAuthn.removeVirtualAuthenticator", new Dictionary<string, object> { ["authenticatorId"] = Id });

    /// <summary>Forgets every credential the authenticator holds, as a reset key does.</summary>
    public async Task ClearAsync() =>
        await _cdp.SendAsync("WebAuthn.clearCredentials", new Dictionary<string, object> { ["authenticatorId"] = Id });

    /// <summary>
    /// The credential the authenticator holds, as a software key that signs the same (CDP exports the private key):
    /// what the browser enrolled, used from the JSON API as the CLI would.
    /// </summary>
    public async Task<SoftwareCredential> ExportAsync()
    {
        var held = (await CredentialsAsync()).Single();
        return SoftwareCredential.Import(new SoftwareCredentialState
        {
            RpId = held.GetProperty("rpId").GetString(),
            CredentialId = Base64Url.EncodeToString(Convert.FromBase64String(held.GetProperty("credentialId").GetString()!)),
            PrivateKey = held.GetProperty("privateKey").GetString()!,
            UserHandle = held.TryGetProperty("userHandle", out var handle) ? Base64Url.EncodeToString(Convert.FromBase64String(handle.GetString()!)) : null,
            Counter = held.GetProperty("signCount").GetUInt32(),
        });
    }

    /// <summary>Puts a software key's resident credential into the authenticator (a key enrolled from the CLI, used in the browser).</summary>
    public async Task ImportAsync(SoftwareCredential key)
    {
        var state = key.Export();
        var credential = new Dictionary<string, object>
        {
            ["credentialId"] = Convert.ToBase64String(Base64Url.DecodeFromChars(state.CredentialId)),
            ["isResidentCredential"] = true,
            ["rpId"] = state.RpId!,
            ["privateKey"] = state.PrivateKey,
            ["signCount"] = state.Counter,
        };
        if (state.UserHandle is not null) credential["userHandle"] = Convert.ToBase64String(Base64Url.DecodeFromChars(state.UserHandle));
        await _cdp.SendAsync("WebAuthn.addCredential", new Dictionary<string, object> { ["authenticatorId"] = Id, ["credential"] = credential });
    }
}
