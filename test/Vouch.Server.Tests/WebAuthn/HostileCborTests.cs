using System.Buffers.Text;
using System.Formats.Cbor;
using System.Net;
using Vouch.Protocol;
using Vouch.Server.WebAuthn;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.WebAuthn;

/// <summary>
/// Crafted CBOR in what a client sends (the attestation object when enrolling, the authenticator data when logging
/// in) is refused with a 400 and a stable code, never a 500. The server checks attestation (trusting a test root),
/// so that the attestation object reaches both Fido2's parser and the server's own reading of <c>x5c</c>.
/// </summary>
public sealed partial class HostileCborTests : IAsyncLifetime
{
    private InProcessServer _server = null!;
    private ApiUser _alice = null!;

    public async Task InitializeAsync()
    {
        var (root, attestation) = AttestationChains.Create("Trusted Vendor");
        _server = await InProcessServer.StartAsync(attestation: AttestationPolicy.Trusting("test roots", [root], models: null));
        _alice = new ApiUser(_server);
        _alice.Key.AttestationCertificate = attestation;
    }

    public async Task DisposeAsync()
    {
        _alice.Dispose();
        await _server.DisposeAsync();
    }

    /// <summary>The parts of a genuine attestation object, to put together again wrongly.</summary>
    private sealed record Parts(byte[] AuthData, byte[] Signature, byte[] Certificate);

    private static Parts Read(byte[] attestationObject)
    {
        var reader = new CborReader(attestationObject);
        byte[]? authData = null, signature = null, certificate = null;
        var entries = reader.ReadStartMap();
        for (var i = 0; i < entries; i++)
        {
            switch (reader.ReadTextString())
            {
                case "authData":
                    authData = reader.ReadByteString();
                    break;
                case "attStmt":
                    var statement = reader.ReadStartMap();
                    for (var j = 0; j < statement; j++)
                    {
                        switch (reader.ReadTextString())
                        {
                            case "sig": signature = reader.ReadByteString(); break;
                            case "x5c":
                                reader.ReadStartArray();
                                certificate = reader.ReadByteString();
                                reader.ReadEndArray();
                                break;
                            default: reader.SkipValue(); break;
                        }
                    }
                    reader.ReadEndMap();
                    break;
                default:
                    reader.SkipValue();
                    break;
            }
        }
        return new Parts(authData!, signature!, certificate!);
    }

    private static CborWriter Writer() => new(CborConformanceMode.Lax, convertIndefiniteLengthEncodings: false, allowMultipleRootLevelValues: true);

    /// <summary>A packed statement: alg, sig, x5c, with <paramref name="extra"/> written first (<paramref name="extraEntries"/> map entries).</summary>
    private static void Statement(CborWriter w, Parts p, Action<CborWriter>? extra = null, int extraEntries = 0, bool indefiniteX5c = false)
    {
        w.WriteStartMap(3 + extraEntries);
        extra?.Invoke(w);
        w.WriteTextString("alg"); w.WriteInt32(-7);
        w.WriteTextString("sig"); w.WriteByteString(p.Signature);
        w.WriteTextString("x5c"); w.WriteStartArray(indefiniteX5c ? null : 1); w.WriteByteString(p.Certificate); w.WriteEndArray();
        w.WriteEndMap();
    }

    /// <summary>The whole object: fmt, attStmt, authData, with <paramref name="extra"/> written first.</summary>
    private static byte[] Attestation(Parts p, Action<CborWriter>? extra = null, int extraEntries = 0, Action<CborWriter>? statement = null, bool indefinite = false, byte[]? trailing = null)
    {
        var w = Writer();
        w.WriteStartMap(indefinite ? null : 3 + extraEntries);
        extra?.Invoke(w);
        w.WriteTextString("fmt"); w.WriteTextString("packed");
        w.WriteTextString("attStmt");
        if (statement is null) Statement(w, p); else statement(w);
        w.WriteTextString("authData"); w.WriteByteString(p.AuthData);
        w.WriteEndMap();
        return [.. w.Encode(), .. trailing ?? []];
    }

    private static void Nested(CborWriter w, int depth)
    {
        for (var i = 0; i < depth; i++) w.WriteStartArray(1);
        w.WriteInt32(0);
        for (var i = 0; i < depth; i++) w.WriteEndArray();
    }

    private static byte[] Craft(string attack, Parts p) => attack switch
    {
        "an integer key at the top level" => Attestation(p, w => { w.WriteInt32(1); w.WriteInt32(2); }, 1),
        "a byte-string key at the top level" => Attestation(p, w => { w.WriteByteString("fmt"u8); w.WriteTextString("none"); }, 1),
        "only integer keys at the top level" => Cbor(w => { w.WriteStartMap(3); w.WriteInt32(1); w.WriteTextString("packed"); w.WriteInt32(2); Statement(w, p); w.WriteInt32(3); w.WriteByteString(p.AuthData); w.WriteEndMap(); }),
        "an integer key in attStmt" => Attestation(p, statement: w => Statement(w, p, s => { s.WriteInt32(1); s.WriteInt32(2); }, 1)),
        "a byte-string key in attStmt" => Attestation(p, statement: w => Statement(w, p, s => { s.WriteByteString("x5c"u8); s.WriteInt32(2); }, 1)),
        "a map key in attStmt" => Attestation(p, statement: w => Statement(w, p, s => { s.WriteStartMap(0); s.WriteEndMap(); s.WriteInt32(2); }, 1)),
        "an indefinite-length top-level map" => Attestation(p, indefinite: true),
        "an indefinite-length attStmt" => Attestation(p, statement: w =>
        {
            w.WriteStartMap(null);
            w.WriteTextString("alg"); w.WriteInt32(-7);
            w.WriteTextString("sig"); w.WriteByteString(p.Signature);
            w.WriteTextString("x5c"); w.WriteStartArray(1); w.WriteByteString(p.Certificate); w.WriteEndArray();
            w.WriteEndMap();
        }),
        "an indefinite-length x5c" => Attestation(p, statement: w => Statement(w, p, indefiniteX5c: true)),
        "a chunked authData" => Cbor(w =>
        {
            w.WriteStartMap(3);
            w.WriteTextString("fmt"); w.WriteTextString("packed");
            w.WriteTextString("attStmt"); Statement(w, p);
            w.WriteTextString("authData"); w.WriteStartIndefiniteLengthByteString(); w.WriteByteString(p.AuthData[..10]); w.WriteByteString(p.AuthData[10..]); w.WriteEndIndefiniteLengthByteString();
            w.WriteEndMap();
        }),
        "trailing bytes" => Attestation(p, trailing: [0x00, 0xff]),
        "a second object after the first" => [.. Attestation(p), .. Attestation(p)],
        "deep nesting in attStmt" => Attestation(p, statement: w => Statement(w, p, s => { s.WriteTextString("x"); Nested(s, 200); }, 1)),
        "deep nesting at the top level" => Attestation(p, w => { w.WriteTextString("x"); Nested(w, 5000); }, 1),
        "a duplicate fmt" => Attestation(p, w => { w.WriteTextString("fmt"); w.WriteTextString("none"); }, 1),
        "a duplicate x5c" => Attestation(p, statement: w => Statement(w, p, s => { s.WriteTextString("x5c"); s.WriteStartArray(1); s.WriteByteString([1, 2, 3]); s.WriteEndArray(); }, 1)),
        "x5c not an array" => Attestation(p, statement: w => { w.WriteStartMap(3); w.WriteTextString("alg"); w.WriteInt32(-7); w.WriteTextString("sig"); w.WriteByteString(p.Signature); w.WriteTextString("x5c"); w.WriteByteString(p.Certificate); w.WriteEndMap(); }),
        "x5c holding text" => Attestation(p, statement: w => { w.WriteStartMap(3); w.WriteTextString("alg"); w.WriteInt32(-7); w.WriteTextString("sig"); w.WriteByteString(p.Signature); w.WriteTextString("x5c"); w.WriteStartArray(1); w.WriteTextString("cert"); w.WriteEndArray(); w.WriteEndMap(); }),
        "x5c holding a non-certificate" => Attestation(p, statement: w => { w.WriteStartMap(3); w.WriteTextString("alg"); w.WriteInt32(-7); w.WriteTextString("sig"); w.WriteByteString(p.Signature); w.WriteTextString("x5c"); w.WriteStartArray(1); w.WriteByteString([0x30, 0x03, 0x02, 0x01, 0x01]); w.WriteEndArray(); w.WriteEndMap(); }),
        "fmt an integer" => Cbor(w => { w.WriteStartMap(3); w.WriteTextString("fmt"); w.WriteInt32(7); w.WriteTextString("attStmt"); Statement(w, p); w.WriteTextString("authData"); w.WriteByteString(p.AuthData); w.WriteEndMap(); }),
        "attStmt an array" => Attestation(p, statement: w => { w.WriteStartArray(0); w.WriteEndArray(); }),
        "alg a text" => Attestation(p, statement: w => { w.WriteStartMap(3); w.WriteTextString("alg"); w.WriteTextString("ES256"); w.WriteTextString("sig"); w.WriteByteString(p.Signature); w.WriteTextString("x5c"); w.WriteStartArray(1); w.WriteByteString(p.Certificate); w.WriteEndArray(); w.WriteEndMap(); }),
        "alg out of range" => Attestation(p, statement: w => { w.WriteStartMap(3); w.WriteTextString("alg"); w.WriteUInt64(ulong.MaxValue); w.WriteTextString("sig"); w.WriteByteString(p.Signature); w.WriteTextString("x5c"); w.WriteStartArray(1); w.WriteByteString(p.Certificate); w.WriteEndArray(); w.WriteEndMap(); }),
        "authData a text" => Cbor(w => { w.WriteStartMap(3); w.WriteTextString("fmt"); w.WriteTextString("packed"); w.WriteTextString("attStmt"); Statement(w, p); w.WriteTextString("authData"); w.WriteTextString("x"); w.WriteEndMap(); }),
        "authData truncated" => Attestation(p with { AuthData = p.AuthData[..40] }),
        "authData with trailing bytes" => Attestation(p with { AuthData = [.. p.AuthData, 0x00] }),
        "a tagged map" => Cbor(w => { w.WriteTag(CborTag.SelfDescribeCbor); w.WriteEncodedValue(Attestation(p)); }),
        "not a map" => Cbor(w => w.WriteInt32(1)),
        "truncated" => Attestation(p)[..50],
        "empty" => [],
        "a huge declared length" => [0xbb, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        "an undefined simple value" => [0xa1, 0x63, (byte)'f', (byte)'m', (byte)'t', 0xf7],
        _ => throw new ArgumentException(attack, nameof(attack)),
    };

    private static byte[] Cbor(Action<CborWriter> write)
    {
        var w = Writer();
        write(w);
        return w.Encode();
    }

    [Theory]
    [InlineData("an integer key at the top level")]
    [InlineData("a byte-string key at the top level")]
    [InlineData("only integer keys at the top level")]
    [InlineData("an integer key in attStmt")]
    [InlineData("a byte-string key in attStmt")]
    [InlineData("a map key in attStmt")]
    [InlineData("an indefinite-length top-level map")]
    [InlineData("an indefinite-length attStmt")]
    [InlineData("an indefinite-length x5c")]
    [InlineData("a chunked authData")]
    [InlineData("trailing bytes")]
    [InlineData("a second object after the first")]
    [InlineData("deep nesting in attStmt")]
    [InlineData("deep nesting at the top level")]
    [InlineData("a duplicate fmt")]
    [InlineData("a duplicate x5c")]
    [InlineData("x5c not an array")]
    [InlineData("x5c holding text")]
    [InlineData("x5c holding a non-certificate")]
    [InlineData("fmt an integer")]
    [InlineData("attStmt an array")]
    [InlineData("alg a text")]
    [InlineData("alg out of range")]
    [InlineData("authData a text")]
    [InlineData("authData truncated")]
    [InlineData("authData with trailing bytes")]
    [InlineData("a tagged map")]
    [InlineData("not a map")]
    [InlineData("truncated")]
    [InlineData("empty")]
    [InlineData("a huge declared length")]
    [InlineData("an undefined simple value")]
    public async Task An_attestation_object_with_crafted_cbor_gets_a_400_and_a_stable_code(string attack)
    {
        var (_, started) = await _alice.PostAsync(ApiRoutes.EnrollOptions, new { invite = await _alice.InviteAsync() });
        var credential = _alice.Key.MakeCredential(started.GetProperty("options"), _alice.Origin);
        var response = credential["response"]!.AsObject();
        var parts = Read(Base64Url.DecodeFromChars(response["attestationObject"]!.GetValue<string>()));
        response["attestationObject"] = Base64Url.EncodeToString(Craft(attack, parts));

        var (status, body) = await _alice.PostAsync(ApiRoutes.Enroll, new { ceremony = started.GetProperty("ceremony").GetString(), credential });

        Assert.True(status == HttpStatusCode.BadRequest, $"{(int)status} {body}");
        Assert.Equal(ErrorCodes.WebAuthnFailed, body.GetProperty("error").GetString());
    }

    /// <summary>A genuine attestation object's parts, made without a server.</summary>
    private Parts GenuineParts()
    {
        var options = System.Text.Json.JsonDocument.Parse("""{"rp":{"id":"127.0.0.1"},"user":{"id":"AAAA"},"challenge":"AAAA"}""").RootElement;
        var credential = _alice.Key.MakeCredential(options, _alice.Origin);
        return Read(Base64Url.DecodeFromChars(credential["response"]!["attestationObject"]!.GetValue<string>()));
    }

    [Fact]
    public void The_servers_own_reading_of_x5c_finds_the_certificate_of_a_genuine_attestation_object()
    {
        var parts = GenuineParts();

        var certificates = AttestationCertificates.FromAttestationObject(Attestation(parts));

        Assert.Equal(parts.Certificate, Assert.Single(certificates).RawData);
    }

    [Theory]
    [InlineData("an integer key at the top level")]
    [InlineData("a byte-string key at the top level")]
    [InlineData("only integer keys at the top level")]
    [InlineData("an integer key in attStmt")]
    [InlineData("a byte-string key in attStmt")]
    [InlineData("a map key in attStmt")]
    [InlineData("an indefinite-length top-level map")]
    [InlineData("an indefinite-length attStmt")]
    [InlineData("an indefinite-length x5c")]
    [InlineData("trailing bytes")]
    [InlineData("a second object after the first")]
    [InlineData("deep nesting in attStmt")]
    [InlineData("a duplicate x5c")]
    [InlineData("x5c not an array")]
    [InlineData("x5c holding text")]
    [InlineData("x5c holding a non-certificate")]
    [InlineData("a tagged map")]
    [InlineData("not a map")]
    [InlineData("truncated")]
    [InlineData("empty")]
    [InlineData("a huge declared length")]
    public void The_servers_own_reading_of_x5c_finds_no_certificate_in_crafted_cbor_and_does_not_throw(string attack)
    {
        var certificates = AttestationCertificates.FromAttestationObject(Craft(attack, GenuineParts()));

        Assert.Empty(certificates);
    }
}
