using Vouch.Server.Keys;
using Vouch.Server.Oidc;
using Vouch.Server.Persistence;
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

        var attestation = AttestationPolicy.Yubikey;
        if (options.Attestation is { Length: > 0 } text && !Enum.TryParse(text, ignoreCase: true, out attestation))
            errors.Add(SettingProblem.Of($"attestation {SettingNames.Attestation} must be 'yubikey' or 'any', not '{text}'"));

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
                errors.Add(SettingProblem.Of($"listen {SettingNames.Listen}: '{listen}' must be an http:// URL such as http://127.0.0.1:8080"));
            }
        }

        if (errors.Count > 0 || issuer is null || listen is null || database is null) return Outcome<ServerSettings>.Fail(errors);
        return new ServerSettings
        {
            Listen = listen,
            Development = options.Development,
            Oidc = new OidcOptions
            {
                Issuer = issuer,
                Audience = audience ?? IssuerUrl.DefaultAudience(issuer),
                TokenLifetime = TimeSpan.FromSeconds(options.TokenLifetimeSeconds),
            },
            WebAuthn = WebAuthnOptions.ForIssuer(issuer, attestation),
            Keys = new KeyPolicy(TimeSpan.FromDays(options.KeyRotationDays)),
            Database = database,
        };
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
