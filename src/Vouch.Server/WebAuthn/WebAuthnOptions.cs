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
}
