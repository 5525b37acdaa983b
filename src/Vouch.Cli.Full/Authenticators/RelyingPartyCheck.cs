using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Authenticators;

namespace Vouch.Cli.Authenticators;

/// <summary>
/// Checks the relying party the server's options name before any key is asked: it must be the server's own host, or
/// a registrable suffix of it (<c>example.com</c> for <c>vouch.example.com</c>), as a browser requires. Otherwise a
/// wrong <c>--server</c> could have the key make or use credentials for another site. Refused with
/// <see cref="FailureKind.Refused"/>; then passes the call to <paramref name="inner"/>.
/// </summary>
public sealed class RelyingPartyCheck(IAuthenticator inner) : IAuthenticator
{
    /// <summary>The authenticator asked once the relying party passed.</summary>
    internal IAuthenticator Inner => inner;

    public JsonObject MakeCredential(JsonElement options, string origin)
    {
        Require(options.TryGetProperty("rp", out var rp) && rp.ValueKind == JsonValueKind.Object && rp.TryGetProperty("id", out var id) ? id : default, origin);
        return inner.MakeCredential(options, origin);
    }

    public JsonObject GetAssertion(JsonElement options, string origin)
    {
        Require(options.TryGetProperty("rpId", out var id) ? id : default, origin);
        return inner.GetAssertion(options, origin);
    }

    private static void Require(JsonElement rpId, string origin)
    {
        var host = new Uri(origin).IdnHost.Trim('[', ']').TrimEnd('.');
        var named = rpId.ValueKind == JsonValueKind.String ? rpId.GetString() : null;
        if (named is null || !Allowed(named, host))
        {
            throw new CliException(FailureKind.Refused,
                $"the server {origin} asked the key to sign for the relying party '{Printable(named)}', which is neither its host " +
                $"'{host}' nor a domain it belongs to; check --server (is it really your company's Vouch server?)");
        }
    }

    /// <summary>
    /// True when <paramref name="rpId"/> is <paramref name="host"/> or a parent domain of it with at least two labels
    /// (so never a bare top-level domain); an IP address only ever matches itself.
    /// </summary>
    internal static bool Allowed(string rpId, string host)
    {
        var id = rpId.TrimEnd('.');
        if (string.Equals(id, host, StringComparison.OrdinalIgnoreCase)) return id.Length > 0;
        if (IPAddress.TryParse(host, out _) || id.Length == 0 || !id.Contains('.', StringComparison.Ordinal)) return false;
        return host.EndsWith("." + id, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>What the server sent, cut short and without control characters, for the message.</summary>
    private static string Printable(string? value) =>
        value is null ? "(none)" : new string(value.Take(100).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
