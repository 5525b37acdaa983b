using System.Buffers.Binary;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
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

    /// <summary>Asserts that x5c is leaf then intermediate, and that the two chain to <paramref name="root"/>.</summary>
    public static void AssertChainsTo(MadeCredential made, X509Certificate2 root)
    {
        using var leaf = X509CertificateLoader.LoadCertificate(made.X5c[0]);
        using var intermediate = X509CertificateLoader.LoadCertificate(made.X5c[1]);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.ExtraStore.Add(intermediate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(leaf), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
        Assert.Equal(3, chain.ChainElements.Count);
        Assert.Equal(intermediate.Thumbprint, chain.ChainElements[1].Certificate.Thumbprint);
    }
}
