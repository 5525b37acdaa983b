using System.Security.Cryptography.X509Certificates;

namespace Vouch.Server.WebAuthn;

/// <summary>
/// Which authenticators may enroll: <see cref="Any"/> (development), <see cref="Yubikey"/> (the default: a chain to
/// Yubico's roots and a Yubico model), or a company's own roots (<c>--attestation-roots</c>) and models
/// (<c>--attestation-aaguids</c>). A key is accepted when its <c>packed</c> attestation's certificates, leaf first with
/// the intermediates it sent, chain to one of <see cref="Roots"/>, and its AAGUID is one of <see cref="Models"/>
/// when that list is set.
/// </summary>
public sealed class AttestationPolicy
{
    private AttestationPolicy(string name, X509Certificate2Collection? roots, IReadOnlySet<Guid>? models, string refusal)
    {
        Name = name;
        Roots = roots;
        Models = models;
        Refusal = refusal;
    }

    /// <summary>Any authenticator, software ones included: nothing is proven about the key (development and tests).</summary>
    public static AttestationPolicy Any { get; } = new("any", null, null, "");

    /// <summary>Only YubiKeys: Yubico's roots, embedded from <c>WebAuthn/Roots/*.pem</c>, and Yubico's models.</summary>
    public static AttestationPolicy Yubikey { get; } = new("yubikey", ShippedAttestation.YubicoRoots, ShippedAttestation.YubicoModels,
        "this server accepts only YubiKeys");

    /// <summary>Keys whose chain ends at one of <paramref name="roots"/>; with <paramref name="models"/>, only those AAGUIDs.</summary>
    public static AttestationPolicy Trusting(string name, X509Certificate2Collection roots, IReadOnlySet<Guid>? models) =>
        roots.Count == 0
            ? throw new ArgumentException("an attestation policy needs at least one root", nameof(roots))
            : new(name, roots, models, "this server accepts only the security key models its administrator allows");

    /// <summary>How settings and logs name this policy: <c>yubikey</c>, <c>any</c>, or where its roots came from.</summary>
    public string Name { get; }

    /// <summary>The roots an attestation must chain to; null for <see cref="Any"/>.</summary>
    public X509Certificate2Collection? Roots { get; }

    /// <summary>The AAGUIDs accepted; null accepts every model whose chain verifies.</summary>
    public IReadOnlySet<Guid>? Models { get; }

    /// <summary>True when an accepted key is proven to be a hardware authenticator of a trusted vendor.</summary>
    public bool ProvesHardware => Roots is not null;

    /// <summary>The first words of the refusal a person sees.</summary>
    internal string Refusal { get; }

    /// <summary>The same roots with only <paramref name="models"/> accepted.</summary>
    public AttestationPolicy LimitedTo(IReadOnlySet<Guid> models) =>
        Roots is null
            ? throw new InvalidOperationException("an attestation policy without roots cannot limit models: an AAGUID it has not verified proves nothing")
            : new(Name, Roots, models, Refusal);

    /// <summary>Checks a verified registration's attestation (its format, attestation object and AAGUID).</summary>
    public AttestationVerdict Check(string? format, byte[]? attestationObject, Guid aaguid)
    {
        if (Roots is null) return AttestationVerdict.Accepted;
        var certificates = AttestationCertificates.FromAttestationObject(attestationObject);
        try
        {
            var subject = certificates.Count > 0 ? certificates[0].Subject : null;
            if (format != "packed" || certificates.Count == 0)
                return AttestationVerdict.Refused($"it sent no attestation certificate ('{format ?? "none"}' attestation)", subject);
            if (!ChainsToRoot(certificates))
                return AttestationVerdict.Refused("its attestation certificate does not chain to a trusted root", subject);
            if (Models is not null && !Models.Contains(aaguid))
                return AttestationVerdict.Refused($"its model (AAGUID {aaguid}) is not on the server's list", subject);
            return AttestationVerdict.Accepted;
        }
        finally
        {
            foreach (var certificate in certificates) certificate.Dispose();
        }
    }

    /// <summary>True when <paramref name="certificates"/> (leaf first, then the intermediates the key sent) chain to a root.</summary>
    public bool ChainsToRoot(IReadOnlyList<X509Certificate2> certificates)
    {
        if (Roots is not { Count: > 0 } roots || certificates.Count == 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        // Attestation certificates are not revoked through CRLs, and Vouch must not reach out during enrollment.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        // A certificate's AIA URL is the attacker's choice: never fetch issuers from it.
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.ExtraStore.AddRange(certificates.Skip(1).ToArray());
        return chain.Build(certificates[0]);
    }
}

/// <summary>Whether an attestation satisfied the policy, and if not why, with the leaf certificate's subject for the audit trail.</summary>
public sealed record AttestationVerdict(bool IsAccepted, string? Reason, string? Subject)
{
    public static AttestationVerdict Accepted { get; } = new(true, null, null);

    public static AttestationVerdict Refused(string reason, string? subject) => new(false, reason, subject);
}
