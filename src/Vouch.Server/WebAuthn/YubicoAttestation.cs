using System.Security.Cryptography.X509Certificates;
using Fido2NetLib.Objects;

namespace Vouch.Server.WebAuthn;

/// <summary>
/// Decides whether an attestation comes from a genuine YubiKey: a <c>packed</c> attestation whose certificate chain
/// ends in one of Yubico's FIDO roots, embedded from <c>WebAuthn/Roots/*.pem</c>.
/// </summary>
public sealed class YubicoAttestation(X509Certificate2Collection roots)
{
    private const string ResourcePrefix = "Vouch.Server.WebAuthn.Roots.";

    /// <summary>The checker with the roots shipped in this build.</summary>
    public static YubicoAttestation Shipped { get; } = new(LoadShippedRoots());

    public X509Certificate2Collection Roots => roots;

    public bool IsGenuine(RegisteredPublicKeyCredential credential) =>
        credential.AttestationFormat == "packed" && ChainsToRoot(AttestationCertificates.FromAttestationObject(credential.AttestationObject));

    /// <summary>True when <paramref name="certificates"/> (leaf first) chain to one of the roots.</summary>
    public bool ChainsToRoot(IReadOnlyList<X509Certificate2> certificates)
    {
        if (roots.Count == 0 || certificates.Count == 0) return false;
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

    private static X509Certificate2Collection LoadShippedRoots()
    {
        var collection = new X509Certificate2Collection();
        var assembly = typeof(YubicoAttestation).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            collection.ImportFromPem(reader.ReadToEnd());
        }
        return collection;
    }
}
