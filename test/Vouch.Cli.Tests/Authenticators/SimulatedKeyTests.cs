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
        var authenticator = new Libfido2Authenticator(new PinConsole(Pin), [SocketPath]);

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
    public void The_attestation_statement_reaches_the_server_whole_with_the_intermediate_the_key_sent()
    {
        Start(new SimulatorOptions { Pin = Pin, TouchAfter = TimeSpan.Zero });

        var created = new Libfido2Authenticator(new PinConsole(Pin), [SocketPath]).MakeCredential(CreationOptions(), Origin);

        var x5c = ReadX5c(created);
        Assert.Equal(2, x5c.Count);
        Assert.Equal(_device!.Authenticator.Attestation.X5c[0], x5c[0]);
        Assert.Equal(_device.Authenticator.Attestation.X5c[1], x5c[1]);
    }

    [Fact]
    public void A_wrong_PIN_says_how_many_tries_are_left()
    {
        Start(new SimulatorOptions { Pin = Pin, PinRetries = 8, TouchAfter = TimeSpan.Zero });
        var authenticator = new Libfido2Authenticator(new PinConsole("000000"), [SocketPath]);

        var failure = Assert.Throws<AuthenticatorException>(() => authenticator.MakeCredential(CreationOptions(), Origin));

        Assert.Equal("wrong PIN: 7 tries left before the security key blocks its PIN", failure.Message);
    }

    [Fact]
    public void A_blocked_PIN_says_the_key_must_be_reset()
    {
        Start(new SimulatorOptions { Pin = Pin, PinRetries = 0, TouchAfter = TimeSpan.Zero });
        var authenticator = new Libfido2Authenticator(new PinConsole(Pin), [SocketPath]);

        var failure = Assert.Throws<AuthenticatorException>(() => authenticator.MakeCredential(CreationOptions(), Origin));

        Assert.Equal("the security key's PIN is blocked after too many wrong PINs: reset its FIDO application (ykman fido reset), which erases its credentials, and enroll again", failure.Message);
    }

    [Fact]
    public void A_key_without_a_PIN_is_refused_before_any_touch_and_says_how_to_set_one()
    {
        Start(new SimulatorOptions { Pin = null, TouchAfter = TimeSpan.Zero });
        var console = new PinConsole(Pin);

        var failure = Assert.Throws<AuthenticatorException>(() => new Libfido2Authenticator(console, [SocketPath]).MakeCredential(CreationOptions(), Origin));

        Assert.Equal("this security key has no PIN yet, and the server requires one: set it with 'ykman fido access change-pin' " +
            "(or your key vendor's tool), then run this command again", failure.Message);
        Assert.Empty(console.Prompts);
        Assert.DoesNotContain("Touch", console.ErrorText, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_terminal_a_key_with_a_PIN_fails_fast_instead_of_waiting()
    {
        Start(new SimulatorOptions { Pin = Pin, TouchAfter = null });
        var console = new PinConsole(Pin) { Interactive = false };

        var failure = Assert.Throws<AuthenticatorException>(() => new Libfido2Authenticator(console, [SocketPath]).MakeCredential(CreationOptions(), Origin));

        Assert.Equal("the security key's PIN is needed but no terminal is attached to ask for it: run this command in a terminal", failure.Message);
        Assert.Empty(console.Prompts);
    }

    [Fact]
    public void A_key_that_is_never_touched_is_reported_as_a_touch_timeout()
    {
        Start(new SimulatorOptions { Pin = Pin, TouchAfter = null, TouchTimeout = TimeSpan.FromMilliseconds(600) });
        var authenticator = new Libfido2Authenticator(new PinConsole(Pin), [SocketPath]);

        var failure = Assert.Throws<AuthenticatorException>(() => authenticator.MakeCredential(CreationOptions(), Origin));

        Assert.Equal("timed out waiting for a touch: run the command again and touch the key when it blinks", failure.Message);
    }

    [Fact]
    public async Task A_key_removed_while_waiting_for_its_touch_is_reported_as_lost()
    {
        Start(new SimulatorOptions { Pin = Pin, TouchAfter = null });
        var ceremony = Task.Run(() => new Libfido2Authenticator(new PinConsole(Pin), [SocketPath]).MakeCredential(CreationOptions(), Origin));
        await _device!.Authenticator.WaitingForTouch.WaitAsync(TimeSpan.FromSeconds(30));

        _device.Unplug();
        var failure = await Assert.ThrowsAsync<AuthenticatorException>(() => ceremony.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.True(failure.Message == "lost contact with the security key (was it removed?): reinsert it and run the command again", failure.Message);
    }

    [Fact]
    public async Task With_two_keys_login_picks_the_one_that_holds_a_credential_without_asking()
    {
        Start(new SimulatorOptions { Pin = Pin, TouchAfter = TimeSpan.Zero });
        var otherSocket = Path.Combine(_directory, "other.sock");
        await using var other = SimulatedDevice.Start(otherSocket, new SimulatorOptions { Pin = "13579", TouchAfter = TimeSpan.Zero });
        var enrolling = new PinConsole(Pin, "2");
        var (credentialId, _, _) = ReadAttestation(new Libfido2Authenticator(enrolling, [otherSocket, SocketPath]).MakeCredential(CreationOptions(), Origin));
        var loggingIn = new PinConsole(Pin);

        var asserted = new Libfido2Authenticator(loggingIn, [otherSocket, SocketPath]).GetAssertion(ResidentRequestOptions(), Origin);

        Assert.Contains($"  2) simulated key at {SocketPath}", enrolling.ErrorText, StringComparison.Ordinal);
        Assert.Equal(["Which one do you want to enroll? [1-2]: ", "Security key PIN: "], enrolling.Prompts);
        Assert.Equal(Base64Url.EncodeToString(credentialId), asserted["id"]!.GetValue<string>());
        Assert.Equal(["Security key PIN: "], loggingIn.Prompts);
    }

    [Fact]
    public async Task With_two_keys_and_no_terminal_enrolment_refuses_to_guess()
    {
        Start(new SimulatorOptions { Pin = Pin, TouchAfter = TimeSpan.Zero });
        var otherSocket = Path.Combine(_directory, "other.sock");
        await using var other = SimulatedDevice.Start(otherSocket, new SimulatorOptions { Pin = Pin, TouchAfter = TimeSpan.Zero });
        var console = new PinConsole(Pin) { Interactive = false };

        var failure = Assert.Throws<AuthenticatorException>(() => new Libfido2Authenticator(console, [SocketPath, otherSocket]).MakeCredential(CreationOptions(), Origin));

        Assert.Equal("2 security keys are plugged in and no terminal is attached to ask which one to enroll: unplug all but one, or run this command in a terminal", failure.Message);
    }

    [Fact]
    public void A_login_with_no_key_holding_a_credential_says_to_enroll()
    {
        Start(new SimulatorOptions { Pin = Pin, TouchAfter = TimeSpan.Zero });
        var authenticator = new Libfido2Authenticator(new PinConsole(Pin), [SocketPath]);

        var failure = Assert.Throws<AuthenticatorException>(() => authenticator.GetAssertion(ResidentRequestOptions(), Origin));

        Assert.Equal("no security key here holds a credential for this server: run 'vouch enroll' first", failure.Message);
    }

    [Fact]
    public void The_environment_variable_picks_the_simulated_key_and_says_so_on_stderr()
    {
        var console = new PinConsole("");
        var context = new CliContext(console, name => name == SocketHidTransport.EnvironmentVariable ? SocketPath : null,
            new Lazy<Server.ServerConnections>(() => throw new InvalidOperationException("no server in this test")));

        // Behind the relying-party check every authenticator gets (RelyingPartyCheckTests).
        Assert.IsType<Libfido2Authenticator>(Assert.IsType<RelyingPartyCheck>(context.Authenticator()).Inner);
        Assert.Contains($"SIMULATED security key at {SocketPath}", console.ErrorText, StringComparison.Ordinal);
    }

    private void Start(SimulatorOptions options) => _device = SimulatedDevice.Start(SocketPath, options);

    private static JsonElement CreationOptions() => JsonDocument.Parse("""
        {"challenge":"Y2hhbGxlbmdl","rp":{"id":"vouch.example","name":"Vouch"},
         "user":{"id":"dXNlci0x","name":"alice","displayName":"Alice"}}
        """).RootElement;

    private static JsonElement RequestOptions(byte[] credentialId) => JsonDocument.Parse($$"""
        {"challenge":"bG9naW4","rpId":"vouch.example","allowCredentials":[{"type":"public-key","id":"{{Base64Url.EncodeToString(credentialId)}}"}]}
        """).RootElement;

    private static JsonElement ResidentRequestOptions() => JsonDocument.Parse("""{"challenge":"bG9naW4","rpId":"vouch.example"}""").RootElement;

    private static List<byte[]> ReadX5c(JsonObject created)
    {
        var reader = new CborReader(Base64Url.DecodeFromChars(created["response"]!["attestationObject"]!.GetValue<string>()), CborConformanceMode.Lax);
        var certificates = new List<byte[]>();
        reader.ReadStartMap();
        while (reader.PeekState() != CborReaderState.EndMap)
        {
            if (reader.ReadTextString() != "attStmt")
            {
                reader.SkipValue();
                continue;
            }
            reader.ReadStartMap();
            while (reader.PeekState() != CborReaderState.EndMap)
            {
                if (reader.ReadTextString() != "x5c")
                {
                    reader.SkipValue();
                    continue;
                }
                reader.ReadStartArray();
                while (reader.PeekState() != CborReaderState.EndArray) certificates.Add(reader.ReadByteString());
                reader.ReadEndArray();
            }
            reader.ReadEndMap();
        }
        return certificates;
    }

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

    /// <summary>A terminal where the person types the PIN when asked for a secret, and the answer otherwise.</summary>
    private sealed class PinConsole : IConsole
    {
        private readonly string _pin;
        private readonly string? _answer;
        public TextWriter Out { get; } = new StringWriter();
        private readonly StringWriter _errors;
        private readonly TextWriter _synchronizedErrors;

        public PinConsole(string pin, string? answer = null) : this(pin, answer, new StringWriter()) { }

        private PinConsole(string pin, string? answer, StringWriter errors) =>
            (_pin, _answer, _errors, _synchronizedErrors) = (pin, answer, errors, TextWriter.Synchronized(errors));

        public TextWriter Errors => _synchronizedErrors;
        public bool Interactive { get; init; } = true;
        public List<string> Prompts { get; } = [];

        /// <summary>What was written to stderr so far; the writer is read while a ceremony runs on another thread.</summary>
        public string ErrorText
        {
            get
            {
                // TextWriter.Synchronized locks the wrapper itself around every write.
                lock (_synchronizedErrors) return _errors.ToString();
            }
        }
        public bool IsInteractive => Interactive;

        public string? ReadLine(string prompt)
        {
            Prompts.Add(prompt);
            return _answer;
        }

        public string? ReadSecret(string prompt)
        {
            Prompts.Add(prompt);
            return _pin;
        }

        public string? ReadRedirectedLine() => null;
    }
}
