using System.Security.Cryptography;
using System.Text.Json;
using Vouch.Protocol;
using Vouch.Server.Keys;

namespace Vouch.Server.Oidc;

/// <summary>
/// The JWKS body and its ETag, rebuilt only when the published keys change (a new key ring, or the moment a key
/// activates or drops out), so that serving it costs no serialization. Keys this instance cannot open are never
/// published: a key is in the JWKS only if it was sealed with the configured key-encryption key.
/// </summary>
public sealed class JwksDocument(KeyRingProvider keys, TimeProvider time)
{
    private sealed record Snapshot(KeySchedule<SigningKey> Ring, DateTimeOffset ValidUntil, byte[] Body, string ETag);

    // RGW and other verifiers parse x5c as plain base64: keep '+' and '/' unescaped (this is JSON, never HTML).
    private static readonly JsonSerializerOptions Json = new(ProtocolJsonContext.Default.Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private volatile Snapshot? _snapshot;

    public (byte[] Body, string ETag) Current()
    {
        var now = time.GetUtcNow();
        var ring = keys.Ring;
        var snapshot = _snapshot;
        if (snapshot is null || !ReferenceEquals(snapshot.Ring, ring) || now >= snapshot.ValidUntil)
        {
            var body = JsonSerializer.SerializeToUtf8Bytes(
                new JsonWebKeySetDocument(ring.PublishedAt(now).Where(k => k.Usable).Select(k => k.Jwk).ToArray()),
                Json);
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(body).AsSpan(0, 16)) + "\"";
            snapshot = new Snapshot(ring, ring.NextChangeAfter(now), body, etag);
            _snapshot = snapshot;
        }
        return (snapshot.Body, snapshot.ETag);
    }
}
