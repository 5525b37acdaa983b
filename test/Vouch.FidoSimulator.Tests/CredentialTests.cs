using System.Buffers.Binary;
using System.Formats.Cbor;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using Vouch.FidoSimulator.Ctap;
using Xunit;

namespace Vouch.FidoSimulator.Tests;

public sealed class CredentialTests
{
    [Fact]
    public async Task An_assertion_verifies_with_the_public_key_makeCredential_returned()
    {
        await using var key = await SimulatedKey.StartAsync();
        var made = MadeCredential.From(await Platform.MakeCredentialAsync(key.Client, SHA256.HashData("register"u8)));
        var clientDataHash = SHA256.HashData("login"u8);

        var map = (await Platform.GetAssertionAsync(key.Client, clientDataHash, made.CredentialId)).Map();

        var authData = new CborReader(map[2]).ReadByteString();
        var signature = new CborReader(map[3]).ReadByteString();
        using var publicKey = ECDsa.Create(made.PublicKey);
        Assert.True(publicKey.VerifyData((byte[])[.. authData, .. clientDataHash], signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        Assert.Equal(SHA256.HashData("vouch.example"u8), authData[..32]);
        Assert.Equal(0x01, authData[32]);
        Assert.True(BinaryPrimitives.ReadUInt32BigEndian(authData.AsSpan(33)) > BinaryPrimitives.ReadUInt32BigEndian(made.AuthData.AsSpan(33)));
    }

    [Fact]
    public async Task A_resident_credential_is_found_without_an_allow_list()
    {
        await using var key = await SimulatedKey.StartAsync();
        var made = MadeCredential.From(await Platform.MakeCredentialAsync(key.Client, SHA256.HashData("register"u8), resident: true));

        var map = (await Platform.GetAssertionAsync(key.Client, SHA256.HashData("login"u8), credentialId: null)).Map();

        var credential = Ctap.CborMap.Read(map[1], r => r.ReadTextString());
        Assert.Equal(made.CredentialId, credential.Bytes("id"));
        Assert.Equal([1, 2, 3, 4], Ctap.CborMap.Read(map[4], r => r.ReadTextString()).Bytes("id"));
    }

    [Fact]
    public async Task An_unknown_credential_is_NO_CREDENTIALS()
    {
        await using var key = await SimulatedKey.StartAsync();

        var reply = await Platform.GetAssertionAsync(key.Client, SHA256.HashData("login"u8), RandomNumberGenerator.GetBytes(32));

        Assert.Equal(CtapStatus.NoCredentials, reply.Status);
    }

    [Fact]
    public async Task Packed_attestation_is_signed_by_a_leaf_that_chains_through_the_intermediate_to_the_root()
    {
        await using var key = await SimulatedKey.StartAsync();
        var clientDataHash = SHA256.HashData("register"u8);

        var made = MadeCredential.From(await Platform.MakeCredentialAsync(key.Client, clientDataHash));

        Assert.Equal("packed", made.Format);
        Assert.Equal(SimulatorOptions.DefaultAaguid, made.Aaguid);
        Assert.Equal(2, made.X5c.Count);
        using var leaf = X509CertificateLoader.LoadCertificate(made.X5c[0]);
        using var root = X509Certificate2.CreateFromPem(key.Device.Authenticator.Attestation.RootPem);
        using var leafKey = leaf.GetECDsaPublicKey()!;
        Assert.True(leafKey.VerifyData((byte[])[.. made.AuthData, .. clientDataHash], made.Signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        Assert.Contains("OU=Authenticator Attestation", leaf.Subject, StringComparison.Ordinal);

        MadeCredential.AssertChainsTo(made, root);
    }

    [Fact]
    public async Task With_a_PIN_set_makeCredential_without_pinUvAuthParam_is_PUAT_REQUIRED()
    {
        await using var key = await SimulatedKey.StartAsync(new SimulatorOptions { Pin = "1234", TouchAfter = TimeSpan.Zero });

        var reply = await Platform.MakeCredentialAsync(key.Client, SHA256.HashData("register"u8));

        Assert.Equal(CtapStatus.PuatRequired, reply.Status);
    }
}
