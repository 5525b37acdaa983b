using System.Security.Cryptography.X509Certificates;

namespace Vouch.Server.WebAuthn;

/// <summary>What this build ships for <c>--attestation yubikey</c>: Yubico's roots and models, embedded from <c>WebAuthn/Roots/</c>.</summary>
internal static class ShippedAttestation
{
    private const string ResourcePrefix = "Vouch.Server.WebAuthn.Roots.";

    public static X509Certificate2Collection YubicoRoots { get; } = LoadRoots();

    public static IReadOnlySet<Guid> YubicoModels { get; } = LoadModels();

    private static X509Certificate2Collection LoadRoots()
    {
        var collection = new X509Certificate2Collection();
        foreach (var name in Resources().Where(n => n.EndsWith(".pem", StringComparison.Ordinal)))
            collection.ImportFromPem(Read(name));
        return collection;
    }

    private static IReadOnlySet<Guid> LoadModels()
    {
        var parsed = AttestationModels.Parse(Read(ResourcePrefix + "yubico-aaguids.txt"));
        return parsed.Succeeded ? parsed.Value : throw new InvalidOperationException("the shipped Yubico model list is malformed: " + parsed.Problem.Description);
    }

    private static IEnumerable<string> Resources() =>
        typeof(ShippedAttestation).Assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal));

    private static string Read(string resource)
    {
        using var stream = typeof(ShippedAttestation).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"resource {resource} is missing from this build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
