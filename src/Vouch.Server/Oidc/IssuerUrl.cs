using System.Net;

namespace Vouch.Server.Oidc;

/// <summary>Checks an issuer URL: absolute, no query, fragment or trailing slash, <c>https://</c> unless loopback.</summary>
internal static class IssuerUrl
{
    public static string? Validate(string issuer)
    {
        if (!Uri.TryCreate(issuer, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            return $"issuer {SettingNames.Issuer}: '{issuer}' is not an absolute http(s) URL";
        if (uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
            return $"issuer {SettingNames.Issuer}: '{issuer}' must not have a query, fragment or user info";
        if (issuer.EndsWith('/'))
            return $"issuer {SettingNames.Issuer}: '{issuer}' must not end with '/'; use '{issuer.TrimEnd('/')}'";
        if (uri.Scheme == Uri.UriSchemeHttp && !IsLoopback(uri.Host))
            return $"issuer {SettingNames.Issuer}: '{issuer}' must use https:// (http:// is only for localhost, *.localhost, 127.0.0.1 and [::1])";
        return null;
    }

    /// <summary>True for <c>localhost</c>, <c>*.localhost</c>, <c>127.0.0.1</c> and <c>[::1]</c>.</summary>
    public static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ||
        host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase) ||
        host == "127.0.0.1" ||
        (IPAddress.TryParse(host.Trim('[', ']'), out var address) && address.Equals(IPAddress.IPv6Loopback));

    /// <summary>The default audience: the issuer without its scheme (<c>vouch.example.com</c>).</summary>
    public static string DefaultAudience(string issuer) => issuer[(issuer.IndexOf("://", StringComparison.Ordinal) + 3)..];
}
