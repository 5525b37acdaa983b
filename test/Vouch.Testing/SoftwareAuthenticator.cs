using System.Buffers.Binary;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.Tokens;

namespace Vouch.Testing;

/// <summary>
/// A software FIDO2 authenticator for server tests: one resident ES256 credential, "none" attestation, a sign
/// counter, and switches to misbehave (no user verification, a lowered counter).
/// </summary>
public sealed class SoftwareAuthenticator : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private byte[]? _userHandle;

    public byte[] CredentialId { get; } = RandomNumberGenerator.GetBytes(32);
    public uint Counter { get; set; }
    public bool UserVerified { get; set; } = true;

    /// <summary>When set, the key attests with <c>packed</c> and this certificate (with its private key) as <c>x5c</c>, like a YubiKey.</summary>
    public X509Certificate2? AttestationCertificate { get; set; }

    /// <summary>Makes a CA and an attestation certificate under it, shaped as FIDO requires for <c>packed</c>.</summary>
    public static (X509Certificate2 Root, X509Certificate2 Attestation) CreateAttestationChain(string vendor)
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest($"CN={vendor} Root CA", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var root = rootRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest(
            $"C=SE, O={vendor}, OU=Authenticator Attestation, CN={vendor} EE", leafKey, HashAlgorithmName.SHA256);
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        using var leaf = leafRequest.Create(root, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5), RandomNumberGenerator.GetBytes(8));
        return (root, leaf.CopyWithPrivateKey(leafKey));
    }

    /// <summary>Answers <c>navigator.credentials.create()</c> options with a PublicKeyCredential JSON.</summary>
    public JsonObject MakeCredential(JsonElement options, string origin)
    {
        var rpId = options.GetProperty("rp").GetProperty("id").GetString()!;
        _userHandle = Base64UrlEncoder.DecodeBytes(options.GetProperty("user").GetProperty("id").GetString()!);
        var clientData = ClientData("webauthn.create", options.GetProperty("challenge").GetString()!, origin);
        var q = _key.ExportParameters(false).Q;
        var cose = new CborWriter(CborConformanceMode.Ctap2Canonical);
        cose.WriteStartMap(5);
        cose.WriteInt32(1); cose.WriteInt32(2);
        cose.WriteInt32(3); cose.WriteInt32(-7);
        cose.WriteInt32(-1); cose.WriteInt32(1);
        cose.WriteInt32(-2); cose.WriteByteString(q.X!);
        cose.WriteInt32(-3); cose.WriteByteString(q.Y!);
        cose.WriteEndMap();
        var attested = new List<byte>();
        attested.AddRange(new byte[16]);
        attested.Add((byte)(CredentialId.Length >> 8));
        attested.Add((byte)CredentialId.Length);
        attested.AddRange(CredentialId);
        attested.AddRange(cose.Encode());
        var authData = AuthenticatorData(rpId, attested: true, [.. attested]);

        var attestation = new CborWriter(CborConformanceMode.Lax);
        attestation.WriteStartMap(3);
        if (AttestationCertificate is { } certificate)
        {
            using var attestationKey = certificate.GetECDsaPrivateKey()!;
            var signature = attestationKey.SignData([.. authData, .. SHA256.HashData(clientData)], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
            attestation.WriteTextString("fmt"); attestation.WriteTextString("packed");
            attestation.WriteTextString("attStmt");
            attestation.WriteStartMap(3);
            attestation.WriteTextString("alg"); attestation.WriteInt32(-7);
            attestation.WriteTextString("sig"); attestation.WriteByteString(signature);
            attestation.WriteTextString("x5c"); attestation.WriteStartArray(1); attestation.WriteByteString(certificate.RawData); attestation.WriteEndArray();
            attestation.WriteEndMap();
        }
        else
        {
            attestation.WriteTextString("fmt"); attestation.WriteTextString("none");
            attestation.WriteTextString("attStmt"); attestation.WriteStartMap(0); attestation.WriteEndMap();
        }
        attestation.WriteTextString("authData"); attestation.WriteByteString(authData);
        attestation.WriteEndMap();

        return new JsonObject
        {
            ["id"] = Base64UrlEncoder.Encode(CredentialId),
            ["rawId"] = Base64UrlEncoder.Encode(CredentialId),
            ["type"] = "public-key",
            ["response"] = new JsonObject
            {
                ["attestationObject"] = Base64UrlEncoder.Encode(attestation.Encode()),
                ["clientDataJSON"] = Base64UrlEncoder.Encode(clientData),
                ["transports"] = new JsonArray("usb"),
            },
            ["clientExtensionResults"] = new JsonObject(),
        };
    }

    /// <summary>Answers <c>navigator.credentials.get()</c> options with a PublicKeyCredential JSON.</summary>
    public JsonObject GetAssertion(JsonElement options, string origin)
    {
        var rpId = options.GetProperty("rpId").GetString()!;
        var clientData = ClientData("webauthn.get", options.GetProperty("challenge").GetString()!, origin);
        Counter++;
        var authData = AuthenticatorData(rpId, attested: false, []);
        var signature = _key.SignData([.. authData, .. SHA256.HashData(clientData)], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return new JsonObject
        {
            ["id"] = Base64UrlEncoder.Encode(CredentialId),
            ["rawId"] = Base64UrlEncoder.Encode(CredentialId),
            ["type"] = "public-key",
            ["response"] = new JsonObject
            {
                ["authenticatorData"] = Base64UrlEncoder.Encode(authData),
                ["signature"] = Base64UrlEncoder.Encode(signature),
                ["clientDataJSON"] = Base64UrlEncoder.Encode(clientData),
                ["userHandle"] = _userHandle is null ? null : Base64UrlEncoder.Encode(_userHandle),
            },
            ["clientExtensionResults"] = new JsonObject(),
        };
    }

    private byte[] AuthenticatorData(string rpId, bool attested, byte[] attestedCredentialData)
    {
        var flags = (byte)(0x01 | (UserVerified ? 0x04 : 0) | (attested ? 0x40 : 0));
        var data = new byte[37 + attestedCredentialData.Length];
        SHA256.HashData(Encoding.UTF8.GetBytes(rpId)).CopyTo(data, 0);
        data[32] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(33), Counter);
        attestedCredentialData.CopyTo(data, 37);
        return data;
    }

    private static byte[] ClientData(string type, string challenge, string origin) =>
        JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["type"] = type, ["challenge"] = challenge, ["origin"] = origin, ["crossOrigin"] = false });

    public void Dispose() => _key.Dispose();
}
