using System.Buffers.Binary;
using System.Formats.Cbor;
using System.Net;
using System.Security.Cryptography;
using Vouch.Protocol;
using Xunit;

namespace Vouch.Server.Tests.WebAuthn;

// Authenticator data with crafted content, signed by the enrolled key.
public sealed partial class HostileCborTests
{
    private static byte[] Extensions(Action<CborWriter> write) => Cbor(write);

    /// <summary>Authenticator data for a login: the RP ID hash, <paramref name="flags"/>, the counter, then <paramref name="rest"/>.</summary>
    private byte[] AuthData(byte flags, uint counter, byte[] rest)
    {
        var data = new byte[37];
        SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(new Uri(_server.Issuer).Host)).CopyTo(data, 0);
        data[32] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(33), counter);
        return [.. data, .. rest];
    }

    private const byte UpUv = 0x05;

    private byte[] CraftAuthData(string attack, uint counter) => attack switch
    {
        "empty" => [],
        "36 bytes" => AuthData(UpUv, counter, [])[..36],
        "trailing bytes" => AuthData(UpUv, counter, [0x00]),
        "the extensions flag with nothing after it" => AuthData(UpUv | 0x80, counter, []),
        "extensions with an integer key" => AuthData(UpUv | 0x80, counter, Extensions(w => { w.WriteStartMap(1); w.WriteInt32(1); w.WriteInt32(2); w.WriteEndMap(); })),
        "extensions with a byte-string key" => AuthData(UpUv | 0x80, counter, Extensions(w => { w.WriteStartMap(1); w.WriteByteString("credProtect"u8); w.WriteInt32(2); w.WriteEndMap(); })),
        "extensions with an indefinite-length map" => AuthData(UpUv | 0x80, counter, Extensions(w => { w.WriteStartMap(null); w.WriteTextString("credProtect"); w.WriteInt32(2); w.WriteEndMap(); })),
        "extensions nested deep" => AuthData(UpUv | 0x80, counter, Extensions(w => { w.WriteStartMap(1); w.WriteTextString("x"); Nested(w, 5000); w.WriteEndMap(); })),
        "extensions followed by trailing bytes" => AuthData(UpUv | 0x80, counter, [.. Extensions(w => { w.WriteStartMap(0); w.WriteEndMap(); }), 0x00]),
        "extensions that are not a map" => AuthData(UpUv | 0x80, counter, Extensions(w => w.WriteInt32(7))),
        "extensions truncated" => AuthData(UpUv | 0x80, counter, [0xa1, 0x63, (byte)'a']),
        "the attested-credential flag with garbage" => AuthData(UpUv | 0x40, counter, [1, 2, 3]),
        "attested credential data with a text-keyed public key" => AuthData(UpUv | 0x40, counter, [.. new byte[16], 0, 1, 7, .. Extensions(w => { w.WriteStartMap(1); w.WriteTextString("1"); w.WriteInt32(2); w.WriteEndMap(); })]),
        _ => throw new ArgumentException(attack, nameof(attack)),
    };

    [Theory]
    [InlineData("empty")]
    [InlineData("36 bytes")]
    [InlineData("trailing bytes")]
    [InlineData("the extensions flag with nothing after it")]
    [InlineData("extensions with an integer key")]
    [InlineData("extensions with a byte-string key")]
    [InlineData("extensions with an indefinite-length map")]
    [InlineData("extensions nested deep")]
    [InlineData("extensions followed by trailing bytes")]
    [InlineData("extensions that are not a map")]
    [InlineData("extensions truncated")]
    [InlineData("the attested-credential flag with garbage")]
    [InlineData("attested credential data with a text-keyed public key")]
    public async Task Authenticator_data_with_crafted_content_signed_by_the_enrolled_key_gets_a_400_and_a_stable_code(string attack)
    {
        await _alice.EnrollAsync();
        var (ceremony, options) = await _alice.BeginLoginAsync();
        var state = _alice.Key.Export();
        using var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(Convert.FromBase64String(state.PrivateKey), out _);
        var clientData = Vouch.Authenticators.WebAuthnEncoding.ClientData("webauthn.get", options.GetProperty("challenge").GetString()!, _alice.Origin);
        var authData = CraftAuthData(attack, _alice.Key.Counter + 1);
        var signature = key.SignData([.. authData, .. SHA256.HashData(clientData)], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var assertion = Vouch.Authenticators.WebAuthnEncoding.AssertionCredential(_alice.Key.CredentialId, authData, signature, clientData, _alice.Key.UserHandle);

        var (status, body) = await _alice.PostAsync(ApiRoutes.Login, new { ceremony, assertion });

        Assert.True(status == HttpStatusCode.BadRequest, $"{(int)status} {body}");
        Assert.Equal(ErrorCodes.WebAuthnFailed, body.GetProperty("error").GetString());
    }
}
