using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using Vouch.FidoSimulator.Ctap;

namespace Vouch.FidoSimulator.Tests;

/// <summary>
/// What a platform (libfido2, a browser) sends: makeCredential and getAssertion requests, and the PIN dance that
/// turns a PIN into a pinUvAuthToken. The PIN protocol arithmetic reuses the simulator's protocol classes.
/// </summary>
public static class Platform
{
    public const string RpId = "vouch.example";
    public const byte MakeCredential = 0x01;
    public const byte GetAssertion = 0x02;
    public const byte GetInfo = 0x04;
    public const byte ClientPin = 0x06;

    public static Task<CtapReply> MakeCredentialAsync(HidClient client, byte[] clientDataHash, bool resident = false, byte[]? pinUvAuthParam = null, int protocol = 2) =>
        client.CborAsync(MakeCredential, w =>
        {
            w.WriteStartMap(null);
            w.WriteInt32(1);
            w.WriteByteString(clientDataHash);
            w.WriteInt32(2);
            w.WriteStartMap(1);
            w.WriteTextString("id");
            w.WriteTextString(RpId);
            w.WriteEndMap();
            w.WriteInt32(3);
            w.WriteStartMap(2);
            w.WriteTextString("id");
            w.WriteByteString([1, 2, 3, 4]);
            w.WriteTextString("name");
            w.WriteTextString("alice");
            w.WriteEndMap();
            w.WriteInt32(4);
            w.WriteStartArray(1);
            w.WriteStartMap(2);
            w.WriteTextString("alg");
            w.WriteInt32(-7);
            w.WriteTextString("type");
            w.WriteTextString("public-key");
            w.WriteEndMap();
            w.WriteEndArray();
            if (resident)
            {
                w.WriteInt32(7);
                w.WriteStartMap(1);
                w.WriteTextString("rk");
                w.WriteBoolean(true);
                w.WriteEndMap();
            }
            WritePinUvAuth(w, 8, pinUvAuthParam, protocol);
            w.WriteEndMap();
        });

    public static Task<CtapReply> GetAssertionAsync(HidClient client, byte[] clientDataHash, byte[]? credentialId) =>
        client.CborAsync(GetAssertion, w =>
        {
            w.WriteStartMap(null);
            w.WriteInt32(1);
            w.WriteTextString(RpId);
            w.WriteInt32(2);
            w.WriteByteString(clientDataHash);
            if (credentialId is not null)
            {
                w.WriteInt32(3);
                w.WriteStartArray(1);
                w.WriteStartMap(2);
                w.WriteTextString("id");
                w.WriteByteString(credentialId);
                w.WriteTextString("type");
                w.WriteTextString("public-key");
                w.WriteEndMap();
                w.WriteEndArray();
            }
            w.WriteEndMap();
        });

    public static Task<CtapReply> ClientPinAsync(HidClient client, int protocol, int subCommand, Action<CborWriter>? more = null) =>
        client.CborAsync(ClientPin, w =>
        {
            w.WriteStartMap(null);
            w.WriteInt32(1);
            w.WriteInt32(protocol);
            w.WriteInt32(2);
            w.WriteInt32(subCommand);
            more?.Invoke(w);
            w.WriteEndMap();
        });

    /// <summary>getKeyAgreement, then getPinToken (0x05) or, with permissions, 0x09; the token when the PIN was right.</summary>
    public static async Task<(CtapReply Reply, byte[]? Token)> GetPinTokenAsync(
        HidClient client, PinUvAuthProtocol protocol, string pin, byte? permissions = null)
    {
        var agreement = await ClientPinAsync(client, protocol.Version, 0x02);
        var authenticatorKey = CoseKey.Read(CborMap.Read(agreement.Map()[1], r => r.ReadInt32()))!.Value;
        using var platformKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var sharedSecret = protocol.SharedSecret(platformKey, authenticatorKey)!;
        var pinHashEnc = protocol.Encrypt(sharedSecret, SHA256.HashData(Encoding.UTF8.GetBytes(pin))[..16]);

        var reply = await ClientPinAsync(client, protocol.Version, permissions is null ? 0x05 : 0x09, w =>
        {
            w.WriteInt32(3);
            CoseKey.Write(w, platformKey.ExportParameters(false), CoseKey.EcdhEsHkdf256);
            w.WriteInt32(6);
            w.WriteByteString(pinHashEnc);
            if (permissions is { } p)
            {
                w.WriteInt32(9);
                w.WriteInt32(p);
                w.WriteInt32(0x0a);
                w.WriteTextString(RpId);
            }
        });
        if (reply.Status != CtapStatus.Ok)
            return (reply, null);
        var encryptedToken = new CborReader(reply.Map()[2]).ReadByteString();
        return (reply, protocol.Decrypt(sharedSecret, encryptedToken));
    }

    public static int PinRetries(CtapReply reply) => new CborReader(reply.Map()[3]).ReadInt32();

    private static void WritePinUvAuth(CborWriter w, int key, byte[]? pinUvAuthParam, int protocol)
    {
        if (pinUvAuthParam is null)
            return;
        w.WriteInt32(key);
        w.WriteByteString(pinUvAuthParam);
        w.WriteInt32(key + 1);
        w.WriteInt32(protocol);
    }
}
