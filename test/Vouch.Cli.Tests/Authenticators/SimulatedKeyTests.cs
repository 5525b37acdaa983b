using System.Buffers.Binary;
using System.Buffers.Text;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Authenticators;
using Vouch.Cli.Authenticators;
using Vouch.Cli.Commands;
using Vouch.Cli.Terminal;
using Vouch.FidoSimulator;
using Vouch.FidoSimulator.Hid;
using Xunit;

namespace Vouch.Cli.Tests.Authenticators;

/// <summary>The YubiKey path (libfido2, its CTAPHID, CBOR and PIN protocol) run for real against the simulated key.</summary>
public sealed class SimulatedKeyTests : IAsyncLifetime
{
    private const string Pin = "246810";
    private const string Origin = "https://vouch.example";
    private readonly string _directory = Directory.CreateTempSubdirectory("vouch-fido-cli-").FullName;
    private SimulatedDevice? _device;

    private string SocketPath => Path.Combine(_directory, "key.sock");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_device is not null)
            await _device.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    public void Enrolment_and_login_with_a_PIN_go_through_libfido2_to_the_simulated_key(int pinProtocol)
    {
        Start(new SimulatorOptions { Pin = Pin, PinProtocols = [pinProtocol], TouchAfter = TimeSpan.FromMilliseconds(150) });
        var authenticator = new Libfido2Authenticator(new PinConsole(Pin), SocketPath);

        var created = authenticator.MakeCredential(CreationOptions(), Origin);
        var (credentialId, publicKey, flags) = ReadAttestation(created);
        var asserted = authenticator.GetAssertion(RequestOptions(credentialId), Origin);

        Assert.Equal(0x45, flags & 0x45); // UP, UV (the PIN), AT
        var response = asserted["response"]!;
        var authData = Base64Url.DecodeFromChars(response["authenticatorData"]!.GetValue<string>());
        var clientData = Base64Url.DecodeFromChars(response["clientDataJSON"]!.GetValue<string>());
        var signature = Base64Url.DecodeFromChars(response["signature"]!.GetValue<string>());
        using var key = ECDsa.Create(publicKey);
        Assert.True(key.VerifyData((byte[])[.. authData, .. SHA256.HashData(clientData)], signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        Assert.Equal(Base64Url.EncodeToString(credentialId), asserted["id"]!.GetValue<string>());
    }

    [Fact]
    public void A_wrong_PIN_is_reported_as_one_line_and_costs_a_retry()
    {
        Start(new SimulatorOptions { Pin = Pin, TouchAfter = TimeSpan.Zero });
        var authenticator = new Libfido2Authenticator(new PinConsole("000000"), SocketPath);

        var failure = Assert.Throws<AuthenticatorException>(() => authenticator.MakeCredential(CreationOptions(), Origin));

        Assert.StartsWith("wrong PIN", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_that_is_never_touched_is_reported_as_a_touch_timeout()
    {
        Start(new SimulatorOptions { TouchAfter = null, TouchTimeout = TimeSpan.FromMilliseconds(600) });
        var authenticator = new Libfido2Authenticator(new PinConsole(""), SocketPath);

        var failure = Assert.Throws<AuthenticatorException>(() => authenticator.MakeCredential(CreationOptions(), Origin));

        Assert.StartsWith("timed out waiting for a touch", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_environment_variable_picks_the_simulated_key_and_says_so_on_stderr()
    {
        var console = new PinConsole("");
        var context = new CliContext(console, name => name == SocketHidTransport.EnvironmentVariable ? SocketPath : null,
            new Lazy<Server.ServerConnections>(() => throw new InvalidOperationException("no server in this test")));

        Assert.IsType<Libfido2Authenticator>(context.Authenticator());
        Assert.Contains($"SIMULATED security key at {SocketPath}", console.Errors.ToString(), StringComparison.Ordinal);
    }

    private void Start(SimulatorOptions options) => _device = SimulatedDevice.Start(SocketPath, options);

    private static JsonElement CreationOptions() => JsonDocument.Parse("""
        {"challenge":"Y2hhbGxlbmdl","rp":{"id":"vouch.example","name":"Vouch"},
         "user":{"id":"dXNlci0x","name":"alice","displayName":"Alice"}}
        """).RootElement;

    private static JsonElement RequestOptions(byte[] credentialId) => JsonDocument.Parse($$"""
        {"challenge":"bG9naW4","rpId":"vouch.example","allowCredentials":[{"type":"public-key","id":"{{Base64Url.EncodeToString(credentialId)}}"}]}
        """).RootElement;

    private static (byte[] CredentialId, ECParameters PublicKey, byte Flags) ReadAttestation(JsonObject created)
    {
        var attestation = Base64Url.DecodeFromChars(created["response"]!["attestationObject"]!.GetValue<string>());
        var reader = new CborReader(attestation);
        byte[]? authData = null;
        reader.ReadStartMap();
        while (reader.PeekState() != CborReaderState.EndMap)
        {
            if (reader.ReadTextString() == "authData")
                authData = reader.ReadByteString();
            else
                reader.SkipValue();
        }
        Assert.NotNull(authData);
        var idLength = BinaryPrimitives.ReadUInt16BigEndian(authData.AsSpan(53));
        var credentialId = authData.AsSpan(55, idLength).ToArray();
        var cose = FidoSimulator.Ctap.CborMap.Read(authData.AsMemory(55 + idLength), r => r.ReadInt32());
        return (credentialId, FidoSimulator.Ctap.CoseKey.Read(cose)!.Value, authData[32]);
    }

    /// <summary>A terminal where the person types <paramref name="pin"/> when asked.</summary>
    private sealed class PinConsole(string pin) : IConsole
    {
        public TextWriter Out { get; } = new StringWriter();
        public TextWriter Errors { get; } = new StringWriter();
        public bool IsInteractive => true;
        public string? ReadLine(string prompt) => null;
        public string? ReadSecret(string prompt) => pin;
    }
}
