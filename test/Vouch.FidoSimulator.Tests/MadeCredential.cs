using System.Buffers.Binary;
using System.Formats.Cbor;
using System.Security.Cryptography;
using Vouch.FidoSimulator.Ctap;
using Xunit;

namespace Vouch.FidoSimulator.Tests;

/// <summary>A makeCredential response taken apart: authData and what it holds, and the packed attestation statement.</summary>
public sealed record MadeCredential(string Format, byte[] AuthData, byte[] CredentialId, ECParameters PublicKey, byte[] Signature, List<byte[]> X5c)
{
    public byte Flags => AuthData[32];

    public Guid Aaguid => new(AuthData.AsSpan(37, 16), bigEndian: true);

    public static MadeCredential From(CtapReply reply)
    {
        var map = reply.Map();
        var authData = new CborReader(map[2]).ReadByteString();
        var idLength = BinaryPrimitives.ReadUInt16BigEndian(authData.AsSpan(53));
        var credentialId = authData.AsSpan(55, idLength).ToArray();
        var publicKey = CoseKey.Read(CborMap.Read(authData.AsMemory(55 + idLength), r => r.ReadInt32()))!.Value;

        var statement = CborMap.Read(map[3], r => r.ReadTextString());
        Assert.Equal(-7, statement.Number("alg"));
        var x5c = new List<byte[]>();
        var reader = new CborReader(statement.Raw("x5c")!.Value);
        reader.ReadStartArray();
        while (reader.PeekState() != CborReaderState.EndArray)
            x5c.Add(reader.ReadByteString());

        return new MadeCredential(new CborReader(map[1]).ReadTextString(), authData, credentialId, publicKey, statement.Bytes("sig")!, x5c);
    }
}
