using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Vouch.FidoSimulator.Ctap;

public sealed partial class Authenticator
{
    private const byte FlagUserPresent = 0x01;
    private const byte FlagUserVerified = 0x04;
    private const byte FlagAttestedCredentialData = 0x40;

    /// <summary>authenticatorMakeCredential (0x01, CTAP 2.1 §6.1.2): an ES256 key, packed attestation with x5c.</summary>
    private async Task<byte[]> MakeCredentialAsync(CborMap<int> request, CommandContext context)
    {
        var clientDataHash = request.Required(1, request.Bytes);
        var rp = request.Required(2, request.TextMap);
        var user = request.Required(3, request.TextMap);
        var credentialParameters = request.Required(4, request.ArrayOfMaps);
        var rpId = rp.Required("id", rp.Text);
        var userId = user.Required("id", user.Bytes);
        var options = request.TextMap(7);

        var (pinStatus, userVerified) = await CheckPinUvAuthAsync(
            request, 8, clientDataHash, PinPermissions.MakeCredential, rpId, required: true, context);
        if (pinStatus != CtapStatus.Ok)
            return Responses.Status(pinStatus);

        if (!credentialParameters.Any(p => p.Text("type") == "public-key" && p.Number("alg") == CoseKey.Es256))
            return Responses.Status(CtapStatus.UnsupportedAlgorithm);
        // No built-in UV, and makeCredential always tests user presence.
        if (options?.Boolean("uv") == true || options?.Boolean("up") == false)
            return Responses.Status(CtapStatus.InvalidOption);
        var resident = options?.Boolean("rk") == true;

        if (request.ArrayOfMaps(5) is { } excludeList && excludeList.Any(e => e.Bytes("id") is { } id && Find(id, rpId) is not null))
        {
            return await _userPresence.WaitForTouchAsync(context)
                ? Responses.Status(CtapStatus.CredentialExcluded)
                : Responses.Status(CtapStatus.UserActionTimeout);
        }

        if (!await _userPresence.WaitForTouchAsync(context))
            return Responses.Status(CtapStatus.UserActionTimeout);

        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var credential = new Credential(RandomNumberGenerator.GetBytes(32), rpId, userId, user.Text("name"), resident, key);
        if (resident)
            _credentials.RemoveAll(c => c.Resident && c.RpId == rpId && c.UserId.AsSpan().SequenceEqual(userId));
        _credentials.Add(credential);

        var idLength = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(idLength, (ushort)credential.Id.Length);
        byte[] attestedCredentialData =
        [
            .. _options.Aaguid.ToByteArray(bigEndian: true),
            .. idLength,
            .. credential.Id,
            .. CoseKey.Encode(key.ExportParameters(false), CoseKey.Es256),
        ];
        var flags = (byte)(FlagUserPresent | FlagAttestedCredentialData | (userVerified ? FlagUserVerified : 0));
        var authData = AuthenticatorData(rpId, flags, NextSignCount(), attestedCredentialData);
        var signature = _attestation.LeafKey.SignData([.. authData, .. clientDataHash], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

        return Responses.Ok(w =>
        {
            w.WriteStartMap(null);
            w.WriteInt32(1);
            w.WriteTextString("packed");
            w.WriteInt32(2);
            w.WriteByteString(authData);
            w.WriteInt32(3);
            w.WriteStartMap(null);
            w.WriteTextString("alg");
            w.WriteInt32(CoseKey.Es256);
            w.WriteTextString("sig");
            w.WriteByteString(signature);
            w.WriteTextString("x5c");
            w.WriteStartArray(null);
            foreach (var certificate in _options.PresentsIntermediate ? _attestation.X5c : _attestation.X5c.Take(1))
                w.WriteByteString(certificate);
            w.WriteEndArray();
            w.WriteEndMap();
            w.WriteEndMap();
        });
    }

    private Credential? Find(byte[] id, string rpId) =>
        _credentials.Find(c => c.RpId == rpId && c.Id.AsSpan().SequenceEqual(id));
}
