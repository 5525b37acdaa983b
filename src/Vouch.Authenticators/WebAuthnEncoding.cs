using System.Buffers.Text;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vouch.Authenticators;

/// <summary>The byte layouts of WebAuthn that every authenticator here shares: client data, attestation objects, credentials as JSON.</summary>
public static class WebAuthnEncoding
{
    /// <summary>The <c>clientDataJSON</c> a browser would send for <paramref name="origin"/>.</summary>
    public static byte[] ClientData(string type, string challenge, string origin)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", type);
            json.WriteString("challenge", challenge);
            json.WriteString("origin", origin);
            json.WriteBoolean("crossOrigin", false);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Hash(byte[] data) => SHA256.HashData(data);

    public static byte[] RpIdHash(string rpId) => SHA256.HashData(Encoding.UTF8.GetBytes(rpId));

    /// <summary>A CBOR attestation object: <c>{fmt, attStmt, authData}</c>; <paramref name="signature"/> null means <c>none</c>.</summary>
    public static byte[] AttestationObject(string format, byte[] authenticatorData, byte[]? signature, IReadOnlyList<byte[]> certificates)
    {
        var writer = new CborWriter(CborConformanceMode.Lax);
        writer.WriteStartMap(3);
        writer.WriteTextString("fmt");
        writer.WriteTextString(signature is null ? "none" : format);
        writer.WriteTextString("attStmt");
        if (signature is null)
        {
            writer.WriteStartMap(0);
        }
        else
        {
            writer.WriteStartMap(certificates.Count > 0 ? 3 : 2);
            writer.WriteTextString("alg");
            writer.WriteInt32(-7);
            writer.WriteTextString("sig");
            writer.WriteByteString(signature);
            if (certificates.Count > 0)
            {
                writer.WriteTextString("x5c");
                writer.WriteStartArray(certificates.Count);
                foreach (var certificate in certificates) writer.WriteByteString(certificate);
                writer.WriteEndArray();
            }
        }
        writer.WriteEndMap();
        writer.WriteTextString("authData");
        writer.WriteByteString(authenticatorData);
        writer.WriteEndMap();
        return writer.Encode();
    }

    /// <summary>
    /// A CBOR attestation object around an authenticator's own attestation statement, forwarded whole as the key encoded
    /// it (every certificate it sent stays in); an empty statement means <c>none</c>.
    /// </summary>
    public static byte[] AttestationObject(string format, byte[] authenticatorData, ReadOnlySpan<byte> encodedStatement)
    {
        var writer = new CborWriter(CborConformanceMode.Lax);
        writer.WriteStartMap(3);
        writer.WriteTextString("fmt");
        writer.WriteTextString(encodedStatement.IsEmpty ? "none" : format);
        writer.WriteTextString("attStmt");
        if (encodedStatement.IsEmpty) writer.WriteStartMap(0);
        else writer.WriteEncodedValue(encodedStatement);
        if (encodedStatement.IsEmpty) writer.WriteEndMap();
        writer.WriteTextString("authData");
        writer.WriteByteString(authenticatorData);
        writer.WriteEndMap();
        return writer.Encode();
    }

    /// <summary>The COSE_Key of an ES256 public key.</summary>
    public static byte[] CoseKey(ECParameters publicKey)
    {
        var writer = new CborWriter(CborConformanceMode.Ctap2Canonical);
        writer.WriteStartMap(5);
        writer.WriteInt32(1); writer.WriteInt32(2);
        writer.WriteInt32(3); writer.WriteInt32(-7);
        writer.WriteInt32(-1); writer.WriteInt32(1);
        writer.WriteInt32(-2); writer.WriteByteString(publicKey.Q.X!);
        writer.WriteInt32(-3); writer.WriteByteString(publicKey.Q.Y!);
        writer.WriteEndMap();
        return writer.Encode();
    }

    public static JsonObject AttestationCredential(byte[] credentialId, byte[] attestationObject, byte[] clientData) => new()
    {
        ["id"] = Base64Url.EncodeToString(credentialId),
        ["rawId"] = Base64Url.EncodeToString(credentialId),
        ["type"] = "public-key",
        ["response"] = new JsonObject
        {
            ["attestationObject"] = Base64Url.EncodeToString(attestationObject),
            ["clientDataJSON"] = Base64Url.EncodeToString(clientData),
            ["transports"] = new JsonArray("usb"),
        },
        ["clientExtensionResults"] = new JsonObject(),
    };

    public static JsonObject AssertionCredential(byte[] credentialId, byte[] authenticatorData, byte[] signature, byte[] clientData, byte[]? userHandle) => new()
    {
        ["id"] = Base64Url.EncodeToString(credentialId),
        ["rawId"] = Base64Url.EncodeToString(credentialId),
        ["type"] = "public-key",
        ["response"] = new JsonObject
        {
            ["authenticatorData"] = Base64Url.EncodeToString(authenticatorData),
            ["signature"] = Base64Url.EncodeToString(signature),
            ["clientDataJSON"] = Base64Url.EncodeToString(clientData),
            ["userHandle"] = userHandle is null ? null : Base64Url.EncodeToString(userHandle),
        },
        ["clientExtensionResults"] = new JsonObject(),
    };

    /// <summary>The credential ids a login's options allow (empty: any resident credential for the RP).</summary>
    public static IReadOnlyList<byte[]> AllowedCredentials(JsonElement options) =>
        options.TryGetProperty("allowCredentials", out var allowed) && allowed.ValueKind == JsonValueKind.Array
            ? allowed.EnumerateArray().Select(c => Base64Url.DecodeFromChars(c.GetProperty("id").GetString())).ToList()
            : [];
}
