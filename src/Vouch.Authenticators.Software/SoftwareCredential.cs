using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vouch.Authenticators.Software;

/// <summary>
/// One software FIDO2 credential (ES256, resident, counter), for tests and demos. It attests <c>none</c> unless an
/// <see cref="AttestationCertificate"/> is set; <see cref="UserVerified"/> and <see cref="Counter"/> let tests
/// make it misbehave.
/// </summary>
public sealed class SoftwareCredential : IAuthenticator, IDisposable
{
    private readonly ECDsa _key;

    public SoftwareCredential() : this(ECDsa.Create(ECCurve.NamedCurves.nistP256), RandomNumberGenerator.GetBytes(32)) { }

    private SoftwareCredential(ECDsa key, byte[] credentialId) => (_key, CredentialId) = (key, credentialId);

    public byte[] CredentialId { get; }
    public string? RpId { get; private set; }
    public byte[]? UserHandle { get; private set; }
    public uint Counter { get; set; }
    public bool UserVerified { get; set; } = true;
    public X509Certificate2? AttestationCertificate { get; set; }

    /// <summary>Certificates sent after the attestation certificate in <c>x5c</c> (the intermediates of newer YubiKeys).</summary>
    public IReadOnlyList<X509Certificate2> AttestationIntermediates { get; set; } = [];

    public JsonObject MakeCredential(JsonElement options, string origin)
    {
        RpId = options.GetProperty("rp").GetProperty("id").GetString();
        UserHandle = Base64Url.DecodeFromChars(options.GetProperty("user").GetProperty("id").GetString());
        var clientData = WebAuthnEncoding.ClientData("webauthn.create", options.GetProperty("challenge").GetString()!, origin);
        byte[] cose = WebAuthnEncoding.CoseKey(_key.ExportParameters(false));
        byte[] attested = [.. new byte[16], (byte)(CredentialId.Length >> 8), (byte)CredentialId.Length, .. CredentialId, .. cose];
        var authData = AuthenticatorData(RpId!, attested);

        byte[]? signature = null;
        List<byte[]> certificates = [];
        if (AttestationCertificate is { } certificate)
        {
            using var attestationKey = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("the attestation certificate has no EC private key");
            signature = attestationKey.SignData([.. authData, .. WebAuthnEncoding.Hash(clientData)], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
            certificates.Add(certificate.RawData);
            certificates.AddRange(AttestationIntermediates.Select(c => c.RawData));
        }
        return WebAuthnEncoding.AttestationCredential(CredentialId, WebAuthnEncoding.AttestationObject("packed", authData, signature, certificates), clientData);
    }

    public JsonObject GetAssertion(JsonElement options, string origin)
    {
        var rpId = options.GetProperty("rpId").GetString();
        var allowed = WebAuthnEncoding.AllowedCredentials(options);
        if (rpId != RpId || (allowed.Count > 0 && !allowed.Any(id => id.AsSpan().SequenceEqual(CredentialId))))
            throw new AuthenticatorException(AuthenticatorFailure.NoKey, $"the software authenticator holds no credential for {rpId}: run 'vouch enroll' first");
        var clientData = WebAuthnEncoding.ClientData("webauthn.get", options.GetProperty("challenge").GetString()!, origin);
        Counter++;
        var authData = AuthenticatorData(rpId!, []);
        var signature = _key.SignData([.. authData, .. WebAuthnEncoding.Hash(clientData)], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return WebAuthnEncoding.AssertionCredential(CredentialId, authData, signature, clientData, UserHandle);
    }

    public SoftwareCredentialState Export() => new()
    {
        RpId = RpId,
        CredentialId = Base64Url.EncodeToString(CredentialId),
        PrivateKey = Convert.ToBase64String(_key.ExportPkcs8PrivateKey()),
        UserHandle = UserHandle is null ? null : Base64Url.EncodeToString(UserHandle),
        Counter = Counter,
    };

    public static SoftwareCredential Import(SoftwareCredentialState state)
    {
        var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(Convert.FromBase64String(state.PrivateKey), out _);
        return new SoftwareCredential(key, Base64Url.DecodeFromChars(state.CredentialId))
        {
            RpId = state.RpId,
            UserHandle = state.UserHandle is null ? null : Base64Url.DecodeFromChars(state.UserHandle),
            Counter = state.Counter,
        };
    }

    private byte[] AuthenticatorData(string rpId, byte[] attestedCredentialData)
    {
        var flags = (byte)(0x01 | (UserVerified ? 0x04 : 0) | (attestedCredentialData.Length > 0 ? 0x40 : 0));
        var data = new byte[37 + attestedCredentialData.Length];
        WebAuthnEncoding.RpIdHash(rpId).CopyTo(data, 0);
        data[32] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(33), Counter);
        attestedCredentialData.CopyTo(data, 37);
        return data;
    }

    public void Dispose() => _key.Dispose();
}
