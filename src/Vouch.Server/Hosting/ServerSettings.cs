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
    public const string DevelopmentIssuer = "http://localhost:8080";

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

    /// <summary>Validates <paramref name="options"/>; every problem names the setting to fix, all of them at once.</summary>
    internal static Outcome<ServerSettings> Resolve(VouchServerOptions options)
    {
        var errors = new List<Problem>();
        var issuer = options.Issuer?.Trim();
        if (string.IsNullOrEmpty(issuer))
        {
            if (options.Development) issuer = DevelopmentIssuer;
            else errors.Add(SettingProblem.Of($"issuer {SettingNames.Issuer} is required (for a local trial, add --development)"));
        }
        else if (IssuerUrl.Validate(issuer) is { } issuerError)
        {
            errors.Add(SettingProblem.Of(issuerError));
        }

        var audience = options.Audience?.Trim();
        if (audience is { Length: 0 or > 256 } || (audience is not null && audience.Any(char.IsControl)))
            errors.Add(SettingProblem.Of($"audience {SettingNames.Audience} must be 1 to 256 printable characters"));

        var database = TryParseDatabase(options.Database, errors);

        if (options.TokenLifetimeSeconds is < 300 or > 900)
            errors.Add(SettingProblem.Of($"token lifetime {SettingNames.TokenLifetimeSeconds} must be 300 to 900 seconds, not {options.TokenLifetimeSeconds}"));
        if (options.KeyRotationDays is < 1 or > 365)
            errors.Add(SettingProblem.Of($"key rotation {SettingNames.KeyRotationDays} must be 1 to 365 days, not {options.KeyRotationDays}"));

        if (options.CeremonyRateLimit is < 1 or > 100_000)
            errors.Add(SettingProblem.Of($"ceremony rate limit {SettingNames.CeremonyRateLimit} must be 1 to 100000 requests a minute, not {options.CeremonyRateLimit}"));
        if (options.TokenRateLimit is < 1 or > 100_000)
            errors.Add(SettingProblem.Of($"token rate limit {SettingNames.TokenRateLimit} must be 1 to 100000 requests a minute, not {options.TokenRateLimit}"));

        var tls = TryReadTls(options, errors);
        var proxies = TryParseProxies(options.TrustedProxies, errors);

        var attestation = TryReadAttestation(options, errors);

        string? listen = null;
        if (issuer is not null && errors.Count == 0)
        {
            listen = options.Listen?.Trim();
            var issuerUri = new Uri(issuer);
            if (string.IsNullOrEmpty(listen))
            {
                listen = tls is not null ? $"https://0.0.0.0:{issuerUri.Port}"
                    : issuerUri.Scheme == Uri.UriSchemeHttp ? issuerUri.GetLeftPart(UriPartial.Authority) : DefaultProxiedListen;
            }
            else if (!Uri.TryCreate(listen, UriKind.Absolute, out var listenUri) || listenUri.AbsolutePath != "/" ||
                     listenUri.Scheme != (tls is null ? Uri.UriSchemeHttp : Uri.UriSchemeHttps))
            {
                errors.Add(SettingProblem.Of(tls is null
                    ? $"listen {SettingNames.Listen}: '{listen}' must be an http:// URL such as http://127.0.0.1:8080 (https:// needs {SettingNames.TlsCertificate})"
                    : $"listen {SettingNames.Listen}: '{listen}' must be an https:// URL such as https://0.0.0.0:443 when the server has its own certificate"));
            }
            else if (tls is not null && ListenHost.Parse(listenUri) is null)
            {
                errors.Add(SettingProblem.Of($"listen {SettingNames.Listen}: '{listen}' must name an IP address, localhost or 0.0.0.0, not a host name"));
            }
        }

        if (errors.Count > 0 || issuer is null || listen is null || database is null || attestation is null) return Outcome<ServerSettings>.Fail(errors);
        return new ServerSettings
        {
            Listen = listen,
            Development = options.Development,
            Oidc = new OidcOptions
            {
                Issuer = issuer,
                Audience = audience ?? IssuerUrl.DefaultAudience(issuer),
                TokenLifetime = TimeSpan.FromSeconds(options.TokenLifetimeSeconds),
                SourceIdentity = options.SourceIdentity,
            },
            WebAuthn = WebAuthnOptions.ForIssuer(issuer, attestation, options.CeremonyRateLimit),
            Keys = new KeyPolicy(TimeSpan.FromDays(options.KeyRotationDays)),
            Database = database,
            Sessions = new SessionLimits { RequestsPerMinute = options.TokenRateLimit },
            Tls = tls,
            TrustedProxies = proxies,
        };
    }

    /// <summary>
    /// The enrollment policy: <c>--attestation</c> by name only (a number or anything else is refused, never read as
    /// "any"), or <c>--attestation-roots</c> instead of Yubico's roots, either limited to <c>--attestation-aaguids</c>.
    /// </summary>
    private static AttestationPolicy? TryReadAttestation(VouchServerOptions options, List<Problem> errors)
    {
        var name = options.Attestation?.Trim().ToLowerInvariant();
        var rootsFile = options.AttestationRoots?.Trim();
        var modelsFile = options.AttestationAaguids?.Trim();
        AttestationPolicy? policy = name switch
        {
            null or "" or "yubikey" => AttestationPolicy.Yubikey,
            "any" => AttestationPolicy.Any,
            _ => null,
        };
        if (policy is null)
        {
            errors.Add(SettingProblem.Of($"attestation {SettingNames.Attestation} must be 'yubikey' or 'any', not '{options.Attestation}'"));
            return null;
        }

        if (!string.IsNullOrEmpty(rootsFile))
        {
            if (name is { Length: > 0 })
            {
                errors.Add(SettingProblem.Of($"attestation roots {SettingNames.AttestationRoots} replace the policy that {SettingNames.Attestation} names: give one of them, not both"));
                return null;
            }
            var roots = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
            try
            {
                roots.ImportFromPemFile(rootsFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                errors.Add(SettingProblem.Of($"attestation roots {SettingNames.AttestationRoots}: cannot read '{rootsFile}' as PEM certificates: {e.Message}"));
                return null;
            }
            if (roots.Count == 0)
            {
                errors.Add(SettingProblem.Of($"attestation roots {SettingNames.AttestationRoots}: '{rootsFile}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)"));
                return null;
            }
            policy = AttestationPolicy.Trusting(rootsFile, roots, models: null);
        }

        if (string.IsNullOrEmpty(modelsFile)) return policy;
        if (!policy.ProvesHardware)
        {
            errors.Add(SettingProblem.Of($"attestation AAGUIDs {SettingNames.AttestationAaguids} need an attestation that is checked: a key's AAGUID proves nothing under {SettingNames.Attestation} any"));
            return null;
        }
        string text;
        try
        {
            text = File.ReadAllText(modelsFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Add(SettingProblem.Of($"attestation AAGUIDs {SettingNames.AttestationAaguids}: cannot read '{modelsFile}': {e.Message}"));
            return null;
        }
        var models = AttestationModels.Parse(text);
        if (!models.Succeeded)
        {
            errors.Add(SettingProblem.Of($"attestation AAGUIDs {SettingNames.AttestationAaguids}: '{modelsFile}' {models.Problem.Description}"));
            return null;
        }
        return policy.LimitedTo(models.Value);
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

    internal static DatabaseSettings? TryParseDatabase(string? value, List<Problem> errors)
    {
        try
        {
            return DatabaseSettings.Parse(value);
        }
        catch (Exception e) when (e is ArgumentException or UriFormatException or KeyNotFoundException)
        {
            errors.Add(SettingProblem.Of($"database {SettingNames.Database}: {e.Message}"));
            return null;
        }
    }
}
