using Vouch.Server.Persistence;
using Vouch.Server.WebAuthn;

namespace Vouch.Server.Hosting;

/// <summary>The validated settings of <c>vouch-server serve</c>.</summary>
public sealed record ServerSettings
{
    /// <summary>The development issuer and listen URL.</summary>
    public const string DevelopmentIssuer = "http://localhost:8080";

    /// <summary>Where an https issuer's server listens by default, behind a TLS-terminating proxy.</summary>
    public const string DefaultProxiedListen = "http://127.0.0.1:8080";

    public required string Issuer { get; init; }
    public required string Audience { get; init; }
    public required string Listen { get; init; }
    public required DatabaseSettings Database { get; init; }
    public required bool Development { get; init; }
    public required TimeSpan TokenLifetime { get; init; }
    public required TimeSpan KeyRotationInterval { get; init; }

    /// <summary>Which authenticators may enroll; default <see cref="AttestationPolicy.Yubikey"/>.</summary>
    public AttestationPolicy Attestation { get; init; } = AttestationPolicy.Yubikey;

    public string JwksUri => Issuer + "/.well-known/jwks.json";

    /// <summary>Validates <paramref name="options"/>; every message names the setting to fix.</summary>
    internal static Configured<ServerSettings> Resolve(VouchServerOptions options)
    {
        var errors = new List<string>();
        var issuer = options.Issuer?.Trim();
        if (string.IsNullOrEmpty(issuer))
        {
            if (options.Development) issuer = DevelopmentIssuer;
            else errors.Add($"issuer {SettingNames.Issuer} is required (for a local trial, add --development)");
        }
        else if (IssuerUrl.Validate(issuer) is { } issuerError)
        {
            errors.Add(issuerError);
        }

        var audience = options.Audience?.Trim();
        if (audience is { Length: 0 or > 256 } || (audience is not null && audience.Any(char.IsControl)))
            errors.Add($"audience {SettingNames.Audience} must be 1 to 256 printable characters");

        var database = TryParseDatabase(options.Database, errors);

        if (options.TokenLifetimeSeconds is < 300 or > 900)
            errors.Add($"token lifetime {SettingNames.TokenLifetimeSeconds} must be 300 to 900 seconds, not {options.TokenLifetimeSeconds}");
        if (options.KeyRotationDays is < 1 or > 365)
            errors.Add($"key rotation {SettingNames.KeyRotationDays} must be 1 to 365 days, not {options.KeyRotationDays}");

        var attestation = AttestationPolicy.Yubikey;
        if (options.Attestation is { Length: > 0 } text && !Enum.TryParse(text, ignoreCase: true, out attestation))
            errors.Add($"attestation {SettingNames.Attestation} must be 'yubikey' or 'any', not '{text}'");

        string? listen = null;
        if (issuer is not null && errors.Count == 0)
        {
            listen = options.Listen?.Trim();
            if (string.IsNullOrEmpty(listen))
            {
                var issuerUri = new Uri(issuer);
                listen = issuerUri.Scheme == Uri.UriSchemeHttp ? issuerUri.GetLeftPart(UriPartial.Authority) : DefaultProxiedListen;
            }
            else if (!Uri.TryCreate(listen, UriKind.Absolute, out var listenUri) || listenUri.Scheme != Uri.UriSchemeHttp)
            {
                errors.Add($"listen {SettingNames.Listen}: '{listen}' must be an http:// URL such as http://127.0.0.1:8080");
            }
        }

        if (errors.Count > 0) return Configured<ServerSettings>.Fail(errors);
        return Configured<ServerSettings>.Ok(new ServerSettings
        {
            Issuer = issuer!,
            Audience = audience ?? IssuerUrl.DefaultAudience(issuer!),
            Listen = listen!,
            Database = database!,
            Development = options.Development,
            TokenLifetime = TimeSpan.FromSeconds(options.TokenLifetimeSeconds),
            KeyRotationInterval = TimeSpan.FromDays(options.KeyRotationDays),
            Attestation = attestation,
        });
    }

    internal static DatabaseSettings? TryParseDatabase(string? value, List<string> errors)
    {
        try
        {
            return DatabaseSettings.Parse(value);
        }
        catch (Exception e) when (e is ArgumentException or UriFormatException or KeyNotFoundException)
        {
            errors.Add($"database {SettingNames.Database}: {e.Message}");
            return null;
        }
    }
}
