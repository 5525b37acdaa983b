using System.Security.Cryptography;

namespace Vouch.FidoSimulator.Ctap;

public sealed partial class Authenticator
{
    /// <summary>
    /// authenticatorGetAssertion (0x02, CTAP 2.1 §6.2.2): signs authData || clientDataHash with the first credential
    /// in the allow list this key holds, or with the newest resident one for the RP when there is no list.
    /// </summary>
    private async Task<byte[]> GetAssertionAsync(CborMap<int> request, CommandContext context)
    {
        var rpId = request.Required(1, request.Text);
        var clientDataHash = request.Required(2, request.Bytes);
        var options = request.TextMap(5);

        var (pinStatus, userVerified) = await CheckPinUvAuthAsync(
            request, 6, clientDataHash, PinPermissions.GetAssertion, rpId, required: false, context);
        if (pinStatus != CtapStatus.Ok)
            return Responses.Status(pinStatus);
        if (options?.Boolean("uv") == true)
            return Responses.Status(CtapStatus.InvalidOption);

        var allowList = request.ArrayOfMaps(3);
        var credential = allowList is { Count: > 0 }
            ? allowList.Select(a => a.Bytes("id") is { } id ? Find(id, rpId) : null).FirstOrDefault(c => c is not null)
            : _credentials.FindLast(c => c.Resident && c.RpId == rpId);
        if (credential is null)
            return Responses.Status(CtapStatus.NoCredentials);

        var userPresent = options?.Boolean("up") != false;
        if (userPresent && !await _userPresence.WaitForTouchAsync(context))
            return Responses.Status(CtapStatus.UserActionTimeout);

        var flags = (byte)((userPresent ? FlagUserPresent : 0) | (userVerified ? FlagUserVerified : 0));
        var authData = AuthenticatorData(rpId, flags, NextSignCount(), attestedCredentialData: null);
        var signature = credential.Key.SignData([.. authData, .. clientDataHash], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

        return Responses.Ok(w =>
        {
            w.WriteStartMap(null);
            w.WriteInt32(1);
            w.WriteStartMap(2);
            w.WriteTextString("id");
            w.WriteByteString(credential.Id);
            w.WriteTextString("type");
            w.WriteTextString("public-key");
            w.WriteEndMap();
            w.WriteInt32(2);
            w.WriteByteString(authData);
            w.WriteInt32(3);
            w.WriteByteString(signature);
            if (credential.Resident)
            {
                w.WriteInt32(4);
                w.WriteStartMap(1);
                w.WriteTextString("id");
                w.WriteByteString(credential.UserId);
                w.WriteEndMap();
            }
            w.WriteEndMap();
        });
    }
}
