using System.Security.Cryptography.X509Certificates;

namespace Vouch.Server.WebAuthn;

/// <summary>What this build ships for <c>--attestation yubikey</c>: Yubico's roots and models, embedded from <c>WebAuthn/Roots/</c>.</summary>
internal static class ShippedAttestation
{
    private const string ResourcePrefix = "Vouch.Server.WebAuthn.Roots.";

    public static X509Certificate2Collection YubicoRoots { get; } = LoadRoots();

    public static IReadOnlySet<Guid> YubicoModels { get; } = LoadModels();

    /// <summary>Each shipped model's name, from the list's trailing comments (<c>AAGUID  # YubiKey 5 Series (5.7)</c>).</summary>
    public static IReadOnlyDictionary<Guid, string> YubicoModelNames { get; } = LoadModelNames();

    /// <summary>The name of the model <paramref name="aaguid"/>, when this build knows it; otherwise null.</summary>
    public static string? ModelName(Guid aaguid) => YubicoModelNames.GetValueOrDefault(aaguid);

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

    private static Dictionary<Guid, string> LoadModelNames()
    {
        var names = new Dictionary<Guid, string>();
        foreach (var line in Read(ResourcePrefix + "yubico-aaguids.txt").Split('\n'))
        {
            var comment = line.IndexOf('#', StringComparison.Ordinal);
            if (comment <= 0 || !Guid.TryParseExact(line[..comment].Trim(), "D", out var aaguid)) continue;
            names[aaguid] = line[(comment + 1)..].Trim();
        }
        return names;
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
