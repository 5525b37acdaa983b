using System.Net;
using System.Net.Sockets;
using Vouch.Server.Keys;
using Vouch.Server.Oidc;
using Vouch.Server.Persistence;
using Vouch.Server.Sessions;
using Vouch.Server.WebAuthn;

namespace Vouch.Server.Hosting;

/// <summary>
/// The validated settings of <c>vouch-server serve</c>: the host's own (where to listen, development mode) and each
/// feature's options, which the host binds from <see cref="VouchServerOptions"/> and hands to that feature.
/// </summary>
public sealed record ServerSettings
{
    /// <summary>The development issuer and listen URL.</summary>
    public const string DevelopmentIssuer = OidcOptions.DevelopmentIssuer;

    /// <summary>Where an https issuer's server listens by default, behind a TLS-terminating proxy.</summary>
    public const string DefaultProxiedListen = "http://127.0.0.1:8080";

    public required string Listen { get; init; }
    public required bool Development { get; init; }
    public required OidcOptions Oidc { get; init; }
    public required WebAuthnOptions WebAuthn { get; init; }
    public required KeyPolicy Keys { get; init; }
    public required DatabaseSettings Database { get; init; }
    public SessionLimits Sessions { get; init; } = new();

    /// <summary>The server's own certificate, when it serves https itself; null behind a TLS-terminating proxy.</summary>
    public TlsFiles? Tls { get; init; }

    /// <summary>The reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed; none by default.</summary>
    public IReadOnlyList<IPNetwork> TrustedProxies { get; init; } = [];

    /// <summary>
    /// Validates <paramref name="options"/>: each feature its own settings, then the host's; every problem names
    /// the setting to fix, all of them at once.
    /// </summary>
    internal static Outcome<ServerSettings> Resolve(VouchServerOptions options)
    {
        var errors = new List<Problem>();
        var oidc = OidcOptions.Resolve(options.Issuer, options.Audience, options.TokenLifetimeSeconds, options.SourceIdentity, options.Development, errors);
        var database = DatabaseSettings.TryParse(options.Database, errors);
        var keys = KeyPolicy.Resolve(options.KeyRotationDays, errors);
        var webAuthn = WebAuthnOptions.Resolve(
            oidc?.Issuer, options.Attestation, options.AttestationRoots, options.AttestationAaguids, options.CeremonyRateLimit, errors);
        var sessions = SessionLimits.Resolve(options.TokenRateLimit, errors);
        var tls = TryReadTls(options, errors);
        var proxies = TryParseProxies(options.TrustedProxies, errors);
        var listen = errors.Count == 0 && oidc is not null ? TryResolveListen(options.Listen, new Uri(oidc.Issuer), tls, errors) : null;

        if (errors.Count > 0 || oidc is null || database is null || keys is null || webAuthn is null || sessions is null || listen is null)
            return Outcome<ServerSettings>.Fail(errors);
        return new ServerSettings
        {
            Listen = listen,
            Development = options.Development,
            Oidc = oidc,
            WebAuthn = webAuthn,
            Keys = keys,
            Database = database,
            Sessions = sessions,
            Tls = tls,
            TrustedProxies = proxies,
        };
    }

    /// <summary>Where to listen: <c>--listen</c>, else what the issuer and the server's certificate imply.</summary>
    private static string? TryResolveListen(string? listen, Uri issuer, TlsFiles? tls, List<Problem> errors)
    {
        listen = listen?.Trim();
        if (string.IsNullOrEmpty(listen))
        {
            return tls is not null ? $"https://0.0.0.0:{issuer.Port}"
                : issuer.Scheme == Uri.UriSchemeHttp ? issuer.GetLeftPart(UriPartial.Authority) : DefaultProxiedListen;
        }
        if (!Uri.TryCreate(listen, UriKind.Absolute, out var listenUri) || listenUri.AbsolutePath != "/" ||
            listenUri.Scheme != (tls is null ? Uri.UriSchemeHttp : Uri.UriSchemeHttps))
        {
            errors.Add(SettingProblem.Of(tls is null
                ? $"listen {SettingNames.Listen}: '{listen}' must be an http:// URL such as http://127.0.0.1:8080 (https:// needs {SettingNames.TlsCertificate})"
                : $"listen {SettingNames.Listen}: '{listen}' must be an https:// URL such as https://0.0.0.0:443 when the server has its own certificate"));
            return null;
        }
        if (tls is not null && ListenHost.Parse(listenUri) is null)
        {
            errors.Add(SettingProblem.Of($"listen {SettingNames.Listen}: '{listen}' must name an IP address, localhost or 0.0.0.0, not a host name"));
            return null;
        }
        return listen;
    }

    private static TlsFiles? TryReadTls(VouchServerOptions options, List<Problem> errors)
    {
        var certificate = options.TlsCertificate?.Trim();
        var key = options.TlsPrivateKey?.Trim();
        if (string.IsNullOrEmpty(certificate) && string.IsNullOrEmpty(key)) return null;
        if (string.IsNullOrEmpty(certificate) || string.IsNullOrEmpty(key))
        {
            errors.Add(SettingProblem.Of($"TLS needs both {SettingNames.TlsCertificate} and {SettingNames.TlsPrivateKey}"));
            return null;
        }
        var files = new TlsFiles(Path.GetFullPath(certificate), Path.GetFullPath(key));
        var loaded = TlsCertificateSource.Validate(files);
        if (!loaded.Succeeded)
        {
            errors.AddRange(loaded.Problems);
            return null;
        }
        using var leaf = loaded.Value;
        return files;
    }

    /// <summary>Parses <c>10.0.0.1,10.1.0.0/16,::1</c>; a bare address is a network of one.</summary>
    internal static IReadOnlyList<IPNetwork> TryParseProxies(string? value, List<Problem> errors)
    {
        var networks = new List<IPNetwork>();
        foreach (var entry in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (IPNetwork.TryParse(entry, out var network)) networks.Add(network);
            else if (IPAddress.TryParse(entry, out var address)) networks.Add(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            else errors.Add(SettingProblem.Of($"trusted proxies {SettingNames.TrustedProxies}: '{entry}' is not an IP address or CIDR range such as 10.0.0.0/8"));
        }
        return networks;
    }
}
