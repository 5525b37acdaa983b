using System.Security.Cryptography.X509Certificates;
using Fido2NetLib.Objects;

namespace Vouch.Server.WebAuthn;

/// <summary>
/// Decides whether an attestation comes from a genuine YubiKey: a <c>packed</c> attestation whose certificate chain
/// ends in one of Yubico's FIDO root certificates, shipped as PEM files in <c>WebAuthn/Roots</c>.
/// </summary>
public static class YubicoAttestation
{
    private static readonly Lazy<X509Certificate2Collection> Roots = new(LoadRoots);

    /// <summary>How many Yubico roots this build trusts; with none, no key passes the <c>yubikey</c> policy.</summary>
    public static int TrustedRootCount => Roots.Value.Count;

    public static bool IsGenuine(RegisteredPublicKeyCredential credential)
    {
        if (Roots.Value.Count == 0 || credential.AttestationFormat != "packed") return false;
        var chainCertificates = AttestationCertificates.FromAttestationObject(credential.AttestationObject);
        if (chainCertificates.Count == 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(Roots.Value);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ExtraStore.AddRange(chainCertificates.Skip(1).ToArray());
        return chain.Build(chainCertificates[0]);
    }

    private static X509Certificate2Collection LoadRoots()
    {
        var roots = new X509Certificate2Collection();
        var directory = Path.Combine(AppContext.BaseDirectory, "WebAuthn", "Roots");
        if (!Directory.Exists(directory)) return roots;
        foreach (var file in Directory.GetFiles(directory, "*.pem")) roots.ImportFromPemFile(file);
        return roots;
    }
}
