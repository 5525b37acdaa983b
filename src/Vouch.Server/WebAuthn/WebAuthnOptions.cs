using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Vouch.Server.WebAuthn;

/// <summary>
/// The relying party that keys enroll with and log in to, and which authenticators may enroll. Hosting derives the
/// relying party from the issuer URL: its host is the RP ID, its origin the only accepted origin.
/// </summary>
public sealed record WebAuthnOptions
{
    /// <summary>The RP ID: the issuer's host (<c>vouch.example.com</c>).</summary>
    public required string RelyingPartyId { get; init; }

    /// <summary>The only origin accepted in client data (<c>https://vouch.example.com</c>).</summary>
    public required string Origin { get; init; }

    /// <summary>Which authenticators may enroll; default <see cref="AttestationPolicy.Yubikey"/>.</summary>
    public AttestationPolicy Attestation { get; init; } = AttestationPolicy.Yubikey;

    /// <summary>Ceremony requests (begin or finish, enroll or login) a client address may make a minute; default 30.</summary>
    public int CeremoniesPerMinute { get; init; } = 30;

    /// <summary>The options for a server whose issuer is <paramref name="issuer"/>.</summary>
    public static WebAuthnOptions ForIssuer(string issuer, AttestationPolicy attestation, int ceremoniesPerMinute = 30)
    {
        var uri = new Uri(issuer);
        return new WebAuthnOptions
        {
            RelyingPartyId = uri.Host, Origin = uri.GetLeftPart(UriPartial.Authority), Attestation = attestation,
            CeremoniesPerMinute = ceremoniesPerMinute,
        };
    }

    /// <summary>
    /// Validates the enrollment and ceremony settings for <paramref name="issuer"/> (null when the issuer's own
    /// settings failed: then only these are checked), adding a problem that names the setting for each bad one.
    /// </summary>
    internal static WebAuthnOptions? Resolve(
        string? issuer, string? attestation, string? attestationRoots, string? attestationAaguids, int ceremoniesPerMinute, List<Problem> errors)
    {
        var before = errors.Count;
        if (ceremoniesPerMinute is < 1 or > 100_000)
            errors.Add(SettingProblem.Of($"ceremony rate limit {SettingNames.CeremonyRateLimit} must be 1 to 100000 requests a minute, not {ceremoniesPerMinute}"));
        var policy = TryReadAttestation(attestation, attestationRoots, attestationAaguids, errors);
        if (errors.Count > before || policy is null || issuer is null) return null;
        return ForIssuer(issuer, policy, ceremoniesPerMinute);
    }

    /// <summary>
    /// The enrollment policy: <c>--attestation</c> by name only (a number or anything else is refused, never read as
    /// "any"), or <c>--attestation-roots</c> instead of Yubico's roots, either limited to <c>--attestation-aaguids</c>.
    /// </summary>
    private static AttestationPolicy? TryReadAttestation(string? attestation, string? rootsFile, string? modelsFile, List<Problem> errors)
    {
        var name = attestation?.Trim().ToLowerInvariant();
        rootsFile = rootsFile?.Trim();
        modelsFile = modelsFile?.Trim();
        AttestationPolicy? policy = name switch
        {
            null or "" or "yubikey" => AttestationPolicy.Yubikey,
            "any" => AttestationPolicy.Any,
            _ => null,
        };
        if (policy is null)
        {
            errors.Add(SettingProblem.Of($"attestation {SettingNames.Attestation} must be 'yubikey' or 'any', not '{attestation}'"));
            return null;
        }

        if (!string.IsNullOrEmpty(rootsFile))
        {
            if (name is { Length: > 0 })
            {
                errors.Add(SettingProblem.Of($"attestation roots {SettingNames.AttestationRoots} replace the policy that {SettingNames.Attestation} names: give one of them, not both"));
                return null;
            }
            var roots = new X509Certificate2Collection();
            try
            {
                roots.ImportFromPemFile(rootsFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
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
}
